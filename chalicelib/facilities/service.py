"""Facility directory and inmate search (docs/api.md "Facilities, inmates and contacts").

The directory is public: a family picks a facility and sees its fees and limits before creating
an account (hidden fee schedules are what the CFPB fined an incumbent for).  Inmate search needs
a signed-in account; staff search only their own facility.
"""
from __future__ import annotations

import re

from chalicelib.core.errors import Forbidden, InvalidRequest, NotFound
from chalicelib.core.identity import Principal
from chalicelib.core.store import decode_cursor, page
from chalicelib.facilities import store
from chalicelib.facilities.rules import MoneyRules


def list_facilities(limit: int, cursor: str | None) -> dict:
    results = store.listed_facilities(limit, decode_cursor(cursor, "facilities"))
    return page(results, "facilities", render_facility)


def render_facility(facility: store.Facility) -> dict:
    return {"facility_id": facility.facility_id, "name": facility.name, "state": facility.state,
            "stamp_price_cents": int(facility.stamp_price_cents),
            **MoneyRules.from_map(facility.rules.as_dict()).published()}


def search_inmates(principal: Principal, facility_id: str, query: str, limit: int,
                   cursor: str | None) -> dict:
    """A query holding a digit is an inmate-number prefix ("A10"); anything else is a name
    prefix, last name first as rosters list people ("johnson m", "Johnson, Marcus")."""
    if principal.role == "staff" and principal.facility_id != facility_id:
        raise Forbidden("Staff can search only their own facility.")
    if store.facility(facility_id) is None:
        raise NotFound("No such facility.")
    scope = f"inmates:{facility_id}:{query}"
    decoded = decode_cursor(cursor, scope)
    if any(ch.isdigit() for ch in query):
        results = store.inmates_by_number(facility_id, query.strip().upper(), limit, decoded)
    else:
        results = store.inmates_by_name(facility_id, name_key(query), limit, decoded)
    return page(results, scope, render_inmate)


def name_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace(",", " ")).strip().lower()


def facility_in_charge(principal: Principal, requested: str | None) -> str:
    """The facility a staff action applies to (docs/api.md "Signing in, tokens and roles"):
    staff act in their own; admins name one with ``?facility_id=``."""
    if principal.role == "admin":
        if not requested:
            raise InvalidRequest("facility_id is required for admins.",
                                 errors=[{"field": "query.facility_id", "problem": "required"}])
        if store.facility(requested) is None:
            raise NotFound("No such facility.")
        return requested
    if requested and requested != principal.facility_id:
        raise Forbidden("Staff act only within their own facility.")
    return principal.facility_id


def render_inmate(inmate: store.Inmate) -> dict:
    return {"inmate_id": inmate.inmate_id, "full_name": inmate.full_name,
            "inmate_number": inmate.inmate_number, "facility_id": inmate.facility_id}


def money_rules_of(inmate: store.Inmate) -> MoneyRules:
    """The inmate's copy of the facility rules (one read already paid for), else the facility."""
    if inmate.facility_rules is not None:
        return MoneyRules.from_map(inmate.facility_rules.as_dict())
    facility = store.facility(inmate.facility_id)
    return MoneyRules.from_map(facility.rules.as_dict() if facility else {})
