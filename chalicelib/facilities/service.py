"""Facility directory and inmate search (docs/api.md "Facilities, inmates and contacts").

The directory is public: a family picks a facility and sees its fees and limits before creating
an account (hidden fee schedules are what the CFPB fined an incumbent for).  Inmate search needs
a signed-in account; staff search only their own facility.
"""
from __future__ import annotations

import re

from pynamodb.transactions import TransactWrite

from chalicelib.core.errors import Conflict, Forbidden, InvalidRequest, NotFound
from chalicelib.core.i18n import _
from chalicelib.core.identity import Principal
from chalicelib.core.store import decode_cursor, encode_cursor
from chalicelib.facilities import roster, store
from chalicelib.facilities.rules import MoneyRules


def list_facilities(limit: int, cursor: str | None, state: str | None = None) -> dict:
    """One state's listed facilities by name, or without ``state`` every state's in turn
    (``store.US_STATES`` order): each Query reads one state's partition, at most ``limit``
    items, so no key carries the whole country's reads."""
    scope = f"facilities:{state or '*'}"
    position = decode_cursor(cursor, scope) or {"state": state or store.US_STATES[0], "key": None}
    states = [state] if state else list(store.US_STATES)
    index = states.index(position["state"]) if position["state"] in states else len(states)
    items: list[dict] = []
    while index < len(states) and len(items) < limit:
        results = store.listed_in(states[index], limit - len(items), position["key"])
        items += [render_facility(facility) for facility in results]
        if results.last_evaluated_key:
            position = {"state": states[index], "key": results.last_evaluated_key}
            break
        index += 1
        position = {"state": states[index] if index < len(states) else None, "key": None}
    more = index < len(states)
    return {"items": items, "next_cursor": encode_cursor(position, scope) if more else None}


def render_facility(facility: store.Facility) -> dict:
    # The IANA zone (``timezone``, null while the admin has not set one): clients show visit
    # and call times in the facility's zone, as its notices do.
    return {"facility_id": facility.facility_id, "name": facility.name, "state": facility.state,
            "timezone": facility.timezone, "stamp_price_cents": int(facility.stamp_price_cents or 0),
            **MoneyRules.from_map(facility.rules.as_dict()).published()}


def search_inmates(principal: Principal, facility_id: str, query: str, limit: int,
                   cursor: str | None) -> dict:
    """A query holding a digit is an inmate-number prefix ("A10"); anything else is a name
    prefix, last name first as rosters list people ("johnson m", "Johnson, Marcus")."""
    if principal.role == "staff" and principal.facility_id != facility_id:
        raise Forbidden(_("Staff can search only their own facility."))
    facility = store.facility(facility_id)
    if facility is None:
        raise NotFound(_("No such facility."))
    scope = f"inmates:{facility_id}:{query}"
    decoded = decode_cursor(cursor, scope)
    if any(ch.isdigit() for ch in query):
        results = store.inmates_by_number(facility_id, query.strip().upper(), limit, decoded)
    else:
        results = store.inmates_by_name(facility_id, name_key(query), limit, decoded)
    # People released by the current roster generation are read and left out: a page may hold
    # fewer than ``limit`` (those released since the previous import, at most).
    items = [render_inmate(inmate) for inmate in results if roster.held(inmate, facility)]
    return {"items": items, "next_cursor": encode_cursor(results.last_evaluated_key, scope)}


def name_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace(",", " ")).strip().lower()


def facility_in_charge(principal: Principal, requested: str | None) -> str:
    """The facility a staff action applies to (docs/api.md "Signing in, tokens and roles"):
    staff act in their own; admins name one with ``?facility_id=``."""
    if principal.role == "admin":
        if not requested:
            raise InvalidRequest(_("facility_id is required for admins."), errors=[
                {"field": "query.facility_id", "problem": _("is required")}])
        if store.facility(requested) is None:
            raise NotFound(_("No such facility."))
        return requested
    if requested and requested != principal.facility_id:
        raise Forbidden(_("Staff act only within their own facility."))
    return principal.facility_id


def render_inmate(inmate: store.Inmate) -> dict:
    return {"inmate_id": inmate.inmate_id, "full_name": inmate.full_name,
            "inmate_number": inmate.inmate_number, "facility_id": inmate.facility_id}


def money_rules_of(facility: store.Facility | None) -> MoneyRules:
    """The money part of the facility's rules (its defaults when there is no facility)."""
    return MoneyRules.from_map(facility.rules.as_dict() if facility else {})


def check_rules_unchanged(transaction: TransactWrite, facility: store.Facility,
                          journal_id: str) -> None:
    """Add to a payment's transaction the condition that ``facility``'s rules are still those
    read, so it never charges by rules changed meanwhile.  It checks the journal's stripe of the
    rules stamps; a missing stamp means no change since the facility was stored (every change
    writes all of them)."""
    stamp = store.RulesStamp.rules_version
    transaction.condition_check(
        store.RulesStamp, store.rules_stamp_of(facility.facility_id, journal_id),
        condition=stamp.does_not_exist() | (stamp == int(facility.rules_version or 0)))


def rules_changed() -> Conflict:
    return Conflict(_("The facility's fees or prices changed a moment ago. Nothing was "
                      "charged; check the new amounts and try again."), code="rules_changed")


def time_zone_of(facility_id: str) -> str | None:
    """The facility's IANA time zone (``timezone``, api.md v2), None while it has none: the
    zone its notices give times in."""
    found = store.facility(facility_id)
    return found.timezone if found else None
