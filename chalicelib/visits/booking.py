"""Slots, holds and bookings (docs/api.md "Visits").

A hold takes one place of a slot for 10 minutes: two ``TransactGetItems`` (facility, inmate and
the family's contact claim; then the contact and the inmate's week), one Query of the slot's
places and one ``TransactWriteItems`` (the place, the inmate's week, the hold).  A booking is one
``TransactGetItems`` (idempotency record and hold) and one ``TransactWriteItems`` (the hold
deleted, place and week handed to the visit, the visit, its audit line, and for a paid video
visit the card payment and its journal): six DynamoDB calls in all.
Why: docs/decisions/visits.md
"""
from __future__ import annotations

import functools
import json
import random
from datetime import UTC, date, datetime, timedelta

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactGet, TransactWrite

from chalicelib import contacts, facilities, payments
from chalicelib.accounts import Account
from chalicelib.core import audit, clock, secrets
from chalicelib.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from chalicelib.core.i18n import N_, _
from chalicelib.core.idempotency import Attempt, StoredResponse
from chalicelib.core.identity import Principal
from chalicelib.core.store import get_or_none, read_together, refused, resolved, write_together
from chalicelib.visits import notices, slots, states
from chalicelib.visits.lifecycle import due_fields
from chalicelib.visits.store import (InmateWeek, TimelineLine, Visit, VisitHold, VisitPlace,
                                     Visitor)

HOLD_SECONDS = 10 * 60
OPERATION = "POST /v1/visits"
JOIN_OPENS_SECONDS = 10 * 60
MAX_PLACE_ATTEMPTS = 6  # each failed try means another family took a place meanwhile


class SlotFull(Conflict):
    code = "slot_full"
    title = N_("Slot full")


class InmateUnavailable(Conflict):
    code = "inmate_unavailable"
    title = N_("Inmate unavailable")


class AllowanceUsed(Conflict):
    code = "allowance_used"
    title = N_("Weekly allowance used")


class OutsideBookingWindow(Unprocessable):
    code = "outside_booking_window"
    title = N_("Outside the booking window")


class _PlaceTaken(Exception):
    pass


class _WeekChanged(Exception):
    pass


def slot_not_found() -> NotFound:
    return NotFound(_("No such visit slot."), code="slot_not_found")


def hold_not_found() -> NotFound:
    return NotFound(_("No such hold, or it has expired. Hold a slot again."),
                    code="hold_not_found")


# --- reading the facility and the family's right to visit ------------------------------------

def contact_not_approved() -> Forbidden:
    return Forbidden(_("Visits can be booked only once the facility has approved this "
                       "contact."), code="contact_not_approved")


class _ContactNotApproved(Exception):
    pass


class Context:
    """What a slot listing or a hold needs, in one ``TransactGetItems``: the facility, the
    inmate, the family's contact claim and account, and (for a hold) the inmate's week items
    the slot may fall in (its UTC day and the days either side cover every time zone)."""

    def __init__(self, principal: Principal, facility_id: str, inmate_id: str,
                 starts: int | None = None) -> None:
        futures = {}
        candidates = sorted({week_key(inmate_id, datetime.fromtimestamp(starts + shift, UTC).date())
                             for shift in (-14 * 3600, 0, 14 * 3600)}) if starts else []

        def reads(snapshot: TransactGet) -> None:
            futures.update(facility=snapshot.get(facilities.Facility, facility_id),
                           inmate=snapshot.get(facilities.Inmate, inmate_id),
                           claim=snapshot.get(contacts.ContactClaim,
                                              contacts.claim_key(principal.account_id, inmate_id)),
                           account=snapshot.get(Account, principal.account_id))
            for key in candidates:
                futures[key] = snapshot.get(InmateWeek, key)

        read_together(reads)
        self.facility = resolved(futures["facility"])
        self.inmate = resolved(futures["inmate"])
        claim = resolved(futures["claim"])
        self.account = resolved(futures["account"])
        self.weeks = {key: resolved(futures[key]) or InmateWeek(key) for key in candidates}
        if self.facility is None or self.inmate is None \
                or self.inmate.facility_id != facility_id \
                or not facilities.held(self.inmate, self.facility):
            raise NotFound(_("No such inmate at this facility."), code="inmate_not_found")
        if claim is None:
            raise contact_not_approved()
        self.contact_id = claim.contact_id
        self.tz = slots.zone(self.facility.timezone)
        self.rules = self.facility.rules.as_dict()

    @property
    def family_name(self) -> str:
        return self.account.full_name if self.account else ""

    def policy(self, mode: str) -> facilities.VisitMode:
        return facilities.visit_mode(self.rules, mode)

    def read_contact_and_weeks(self, weeks: list[str]) -> dict[str, InmateWeek]:
        """The contact must be approved; returns the inmate's week items (new ones empty)."""
        futures = {}

        def reads(snapshot: TransactGet) -> None:
            futures["contact"] = snapshot.get(contacts.Contact, self.contact_id)
            for key in weeks:
                futures[key] = snapshot.get(InmateWeek, key)

        read_together(reads)
        contact = resolved(futures.get("contact"))
        if contact is None or contact.status != contacts.CONTACT_APPROVED:
            raise contact_not_approved()
        return {key: resolved(futures[key]) or InmateWeek(key) for key in weeks}


def week_key(inmate_id: str, day: date) -> str:
    return f"{inmate_id}#{slots.week_start(day).isoformat()}"


def _count(week: InmateWeek, mode: str, now: float) -> int:
    return sum(1 for entry in week.live(now).values() if entry["m"] == mode)


# --- slots ---------------------------------------------------------------------------------

def list_slots(principal: Principal, facility_id: str, inmate_id: str, mode: str,
               first: date, last: date) -> dict:
    """One Query of the places of the window, whatever the number of visits ever booked."""
    if last < first or (last - first).days > 31:
        raise Unprocessable(_("to must be on or after from, at most 31 days later."),
                            code="invalid_date_range")
    context = Context(principal, facility_id, inmate_id)
    policy = context.policy(mode)
    now = clock.now()
    earliest, latest = slots.window(policy, now)
    found = [slot for slot in slots.slots_between(policy, facility_id, context.tz, first, last)
             if earliest <= slot.starts <= latest]
    weeks = sorted({week_key(inmate_id, slot.local_date) for slot in found})
    week_items = context.read_contact_and_weeks(weeks)
    used_weeks = {key for key, week in week_items.items()
                  if _count(week, mode, now) >= policy.weekly_allowance}
    taken = _taken_places(facility_id, mode, found, now)
    items = [{"slot_id": slot.slot_id, "mode": mode, "starts_at": clock.iso(slot.starts),
              "ends_at": clock.iso(slot.ends),
              "available": max(0, slot.capacity - taken.get(slot.starts, 0))}
             for slot in found if week_key(inmate_id, slot.local_date) not in used_weeks]
    next_bookable = None
    if used_weeks:
        next_bookable = _next_bookable(max(used_weeks), now, earliest, context.tz).isoformat()
    return {"items": items, "next_bookable_date": next_bookable}


def _next_bookable(used_week: str, now: float, earliest: float, tz) -> date:
    """The Monday after the used week, or the first bookable day if that is later."""
    monday = date.fromisoformat(used_week.rsplit("#", 1)[1]) + timedelta(days=7)
    return max(monday, slots.local_date(earliest, tz))


def _taken_places(facility_id: str, mode: str, found: list[slots.Slot],
                  now: float) -> dict[int, int]:
    if not found:
        return {}
    lane = f"{facility_id}#{mode}"
    first, last = _stamp(found[0].starts), _stamp(found[-1].starts) + "#~"
    taken: dict[int, int] = {}
    stamps = {_stamp(slot.starts): slot.starts for slot in found}
    for place in VisitPlace.query(lane, VisitPlace.place.between(first, last)):
        starts = stamps.get(place.place.split("#")[0])
        if starts is not None and not _free(place, now):
            taken[starts] = taken.get(starts, 0) + 1
    return taken


def _stamp(epoch: int) -> str:
    return slots.make_id("", "", epoch).rsplit(".", 1)[1]


def _free(place: VisitPlace, now: float) -> bool:
    if place.holder is None:
        return True
    return place.holder_kind == "hold" and (place.hold_expires_at or 0) <= now


# --- holds ---------------------------------------------------------------------------------

def hold(principal: Principal, slot_id: str, inmate_id: str) -> tuple[int, dict]:
    """(201, the new hold) or (200, the family's live hold of the same slot and inmate)."""
    parsed = slots.parse_id(slot_id)
    if parsed is None or parsed[1] not in facilities.VISIT_MODES:
        raise slot_not_found()
    facility_id, mode, starts = parsed
    # Who may book comes first (no contact: 403); the contact's approval is a condition of
    # the hold's transaction, which saves a read.
    context = Context(principal, facility_id, inmate_id, starts)
    key = week_key(inmate_id, slots.local_date(starts, context.tz))
    week = context.weeks[key]
    policy = context.policy(mode)
    slot = slots.slot_at(policy, facility_id, context.tz, starts)
    if slot is None:
        raise slot_not_found()
    now = clock.now()
    earliest, latest = slots.window(policy, now)
    if not earliest <= slot.starts <= latest:
        raise OutsideBookingWindow(
            _("This slot cannot be booked now: visits are booked from %(hours)s hours to "
              "%(days)s days ahead.", hours=policy.minimum_notice_hours,
              days=policy.maximum_notice_days),
            earliest_start=clock.iso(earliest), latest_start=clock.iso(latest))
    lane = f"{facility_id}#{mode}"
    for _attempt in range(MAX_PLACE_ATTEMPTS):
        now = clock.now()
        live = week.live(now)
        mine = next((entry_id for entry_id, entry in live.items()
                     if entry["slot"] == slot_id and entry["a"] == principal.account_id
                     and entry_id not in set(week.booked or ())), None)
        if mine is not None:
            return 200, {"hold_id": mine, "expires_at": clock.iso(live[mine]["x"])}
        if any(entry["s"] < slot.ends and slot.starts < entry["e"] for entry in live.values()):
            raise InmateUnavailable(_("This person already has a visit or a hold at that time."))
        if _count(week, mode, now) >= policy.weekly_allowance:
            next_date = _next_bookable(key, now, earliest, context.tz).isoformat()
            raise AllowanceUsed(_("This person's visits for that week are all booked. Booking "
                                  "opens again on %(date)s.", date=next_date),
                                next_bookable_date=next_date)
        place = _free_place(lane, slot, now)
        hold_id = secrets.new_id("hld_")
        expires = now + HOLD_SECONDS
        entries = {entry_id: entry for entry_id, entry in week.entry_map().items()
                   if entry_id in live}
        entries[hold_id] = {"m": mode, "s": slot.starts, "e": slot.ends, "x": int(expires),
                            "a": principal.account_id, "slot": slot_id}
        record = VisitHold(hold_id, account_id=principal.account_id, inmate_id=inmate_id,
                           facility_id=facility_id, mode=mode, slot_id=slot_id,
                           starts=slot.starts, ends=slot.ends, lane=lane, place=place,
                           inmate_week=key, local_date=slot.local_date.isoformat(),
                           price_cents_per_minute=_price_per_minute(context, policy, slot),
                           visitors_per_visit=policy.visitors_per_visit,
                           staff_approval="yes" if policy.staff_approval else "no",
                           minimum_notice_hours=policy.minimum_notice_hours,
                           family_name=context.family_name,
                           notify=notices.recipient_of(context.account,
                                                       context.facility.timezone),
                           inmate_name=context.inmate.full_name, created_at=clock.iso(now))
        record.set_expiry(expires)
        try:
            write_together(functools.partial(_write_hold, record=record, week=week,
                                             entries=entries, now=now,
                                             contact_id=context.contact_id),
                           {contacts.Contact: _ContactNotApproved, VisitPlace: _PlaceTaken,
                            InmateWeek: _WeekChanged})
        except _ContactNotApproved:
            raise contact_not_approved() from None
        except _PlaceTaken:
            continue  # another family took that place: look again
        except _WeekChanged:
            week = get_or_none(InmateWeek, key) or InmateWeek(key)
            continue
        return 201, {"hold_id": hold_id, "expires_at": clock.iso(expires)}
    raise SlotFull(_("Every place of this slot was taken a moment ago."))


def _price_per_minute(context: Context, policy: facilities.VisitMode, slot: slots.Slot) -> int:
    """The facility's price, never above the legal cap in force on the visit's day."""
    if policy.mode != states.VIDEO:
        return 0
    facility = context.facility
    population = facility.average_daily_population
    cap = facilities.facility_video_cap(facility.kind,
                                        None if population is None else int(population),
                                        slot.local_date.isoformat())
    return min(policy.price_cents_per_minute, cap.cents_per_minute)


def _free_place(lane: str, slot: slots.Slot, now: float) -> str:
    stamp = _stamp(slot.starts)
    known = {place.place: place for place in
             VisitPlace.query(lane, VisitPlace.place.startswith(stamp + "#"))}
    free = [f"{stamp}#{n:03d}" for n in range(slot.capacity)
            if f"{stamp}#{n:03d}" not in known or _free(known[f"{stamp}#{n:03d}"], now)]
    if not free:
        raise SlotFull(_("This slot has no place left. Pick another time."))
    return random.choice(free)  # noqa: S311 (spreads racing families over the places)


def _write_hold(transaction: TransactWrite, record: VisitHold, week: InmateWeek,
                entries: dict, now: float, contact_id: str) -> None:
    transaction.condition_check(contacts.Contact, contact_id, condition=(
        (contacts.Contact.status == contacts.CONTACT_APPROVED)
        & (contacts.Contact.account_id == record.account_id)))
    place = VisitPlace(record.lane, record.place)
    transaction.update(place, actions=[
        VisitPlace.holder.set(record.hold_id), VisitPlace.holder_kind.set("hold"),
        VisitPlace.hold_expires_at.set(int(record.expires_at))],
        condition=(VisitPlace.holder.does_not_exist()
                   | ((VisitPlace.holder_kind == "hold")
                      & (VisitPlace.hold_expires_at <= int(now)))))
    version = int(week.version or 0)
    condition = (InmateWeek.version.does_not_exist() if version == 0
                 else InmateWeek.version == version)
    if version == 0:
        condition = condition | (InmateWeek.version == 0)
    transaction.update(InmateWeek(week.inmate_week), actions=[
        InmateWeek.entries.set(json.dumps(entries, separators=(",", ":"))),
        InmateWeek.version.set(version + 1)], condition=condition)
    transaction.save(record, condition=VisitHold.hold_id.does_not_exist())


# --- booking -------------------------------------------------------------------------------

def book(principal: Principal, body: dict, key: str) -> StoredResponse:
    attempt = Attempt(principal.account_id, key, OPERATION, body)
    futures = {}

    def reads(snapshot: TransactGet) -> None:
        attempt.read_in(snapshot)
        futures["hold"] = snapshot.get(VisitHold, body["hold_id"])

    read_together(reads)
    replay = attempt.previous()
    if replay is not None:
        return replay
    found = resolved(futures["hold"])
    now = clock.now()
    if found is None or found.account_id != principal.account_id or found.is_expired(now):
        raise hold_not_found()
    visitors = body.get("visitors", [])
    if len(visitors) > int(found.visitors_per_visit):
        raise Unprocessable(_("At most %(n)s visitors may come to this visit.",
                              n=int(found.visitors_per_visit)), code="too_many_visitors",
                            errors=[{"field": "visitors", "problem": _(
                                "must list at most %(n)s people", n=int(found.visitors_per_visit))}])
    visit = _new_visit(principal, found, visitors, now)
    response = render_booking(visit)
    line = audit.entry(f"visit#{visit.visit_id}", principal, "book", "held", visit.status)

    def write(transaction: TransactWrite) -> None:
        transaction.delete(found, condition=VisitHold.expires_at > int(now))
        transaction.update(VisitPlace(found.lane, found.place), actions=[
            VisitPlace.holder.set(visit.visit_id), VisitPlace.holder_kind.set("visit"),
            VisitPlace.hold_expires_at.remove()], condition=VisitPlace.holder == found.hold_id)
        transaction.update(InmateWeek(found.inmate_week), actions=[
            InmateWeek.booked.add({found.hold_id}), InmateWeek.version.add(1)])
        transaction.save(visit, condition=Visit.visit_id.does_not_exist())
        audit.append(transaction, line)

    if visit.price_cents > 0:
        funding = payments.Funding("calling_balance") if body.get("use_calling_balance") \
            else payments.Funding("card", body.get("payment_method_token"))
        stored = payments.pay_for_visit(attempt, funding, int(visit.price_cents), visit.visit_id,
                                        visit.facility_id, principal.account_id, write,
                                        response, refusal=hold_not_found)
    else:
        stored = _book_free(attempt, write, response)
    if not stored.replayed:
        notices.booked(visit, found.notify)
    return stored


def _book_free(attempt: Attempt, write, response: dict) -> StoredResponse:
    result: list[StoredResponse] = []

    def fill(transaction: TransactWrite) -> None:
        result.append(attempt.record(transaction, 201, response))
        write(transaction)

    try:
        write_together(fill)
    except TransactWriteError as error:
        replay = attempt.previous()
        if replay is not None:
            return replay
        if refused(error):
            raise hold_not_found() from None
        raise
    return result[-1]


def _new_visit(principal: Principal, found: VisitHold, visitors: list[dict],
               now: float) -> Visit:
    visit_id = secrets.new_id("vis_")
    status = states.REQUESTED if found.staff_approval == "yes" else states.SCHEDULED
    minutes = (int(found.ends) - int(found.starts)) // 60
    starts_at = clock.iso(found.starts)
    until = int(found.starts) - now
    visit = Visit(visit_id, account_id=principal.account_id, inmate_id=found.inmate_id,
                  facility_id=found.facility_id, mode=found.mode, status=status,
                  slot_id=found.slot_id, starts=int(found.starts), ends=int(found.ends),
                  starts_at=starts_at, ends_at=clock.iso(found.ends),
                  starts_key=f"{starts_at}#{visit_id}",
                  facility_day=f"{found.facility_id}#{found.local_date}",
                  lane=found.lane, place=found.place, inmate_week=found.inmate_week,
                  entry_id=found.hold_id,
                  price_cents=int(found.price_cents_per_minute) * minutes,
                  price_cents_per_minute=int(found.price_cents_per_minute),
                  minimum_notice_hours=int(found.minimum_notice_hours),
                  visitors=[Visitor(full_name=v["full_name"], date_of_birth=v["date_of_birth"])
                            for v in visitors],
                  timeline=[TimelineLine(status=status, at=clock.iso(now),
                                         by_role=principal.role)],
                  reminders_sent=0 if until > 86400 else (1 if until > 3600 else 2),
                  family_name=found.family_name, inmate_name=found.inmate_name,
                  created_at=clock.iso(now))
    visit.due_lane, visit.due_at = due_fields(visit)
    return visit


def render_booking(visit: Visit) -> dict:
    body = {"visit_id": visit.visit_id, "mode": visit.mode, "status": visit.status,
            "starts_at": visit.starts_at, "ends_at": visit.ends_at,
            "price_cents": int(visit.price_cents)}
    if visit.mode == states.VIDEO:
        body["join_opens_at"] = clock.iso(int(visit.starts) - JOIN_OPENS_SECONDS)
    return body
