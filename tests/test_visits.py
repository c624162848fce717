"""Visits in the domain (docs/api.md "Visits"): rules, slots across a daylight-saving change,
holds (capacity, expiry on read, the inmate's time and allowance), bookings and their cost in
DynamoDB calls, remedies with their journals, the job, release, joining and delivered minutes.
In-process moto; the race over HTTP is tests/test_visits_race.py."""
from __future__ import annotations

import contextlib
import json
from datetime import date

import pytest

from chalicelib.core import clock
from chalicelib.core.errors import Conflict, DomainError, NotFound
from chalicelib.core.store import transaction_connection
from chalicelib.facilities import caps, rulebook, visit_rules
from chalicelib.facilities.seed import DEMO_FACILITY_ID, DEMO_RULES
from chalicelib.payments.audit import audit
from chalicelib.payments.ledger import LedgerEntry
from chalicelib.visits import booking, lifecycle, sessions, slots, states
from chalicelib.visits.store import Visit
from tests.conftest import sent_emails
from tests.visit_support import (ELENA, MARCUS, STAFF, book, bookable_slot, family,
                                 set_visit_policy, visit_world)  # noqa: F401

PRICE = 15  # the demo's cents per minute


@contextlib.contextmanager
def dynamodb_calls():
    """Every DynamoDB API call made inside the block, by operation name."""
    calls: list[str] = []
    events = transaction_connection().client.meta.events
    handler = lambda model, **_: calls.append(model.name)  # noqa: E731
    events.register("before-call.dynamodb", handler)
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", handler)


def problem(call) -> DomainError:
    with pytest.raises(DomainError) as raised:
        call()
    return raised.value


# --- rules and slots (no AWS) ----------------------------------------------------------------

def test_a_video_price_is_checked_against_the_cap_of_every_bookable_day(monkeypatch):
    document = rulebook.complete(DEMO_RULES)
    assert rulebook.forbidden(document, "jail", 420, "2026-12-01") == []
    found = rulebook.forbidden(document, "jail", 420, "2026-03-30")  # FCC 24-75: 12 cents
    assert [f["field"] for f in found] == ["call_rate_cents_per_minute",
                                           "visit_policy.video.price_cents_per_minute"]
    # A cap that falls within the booking horizon refuses a price allowed today.
    tables = caps._tables() + ({"basis": "later rule", "effective": "2026-12-10",
                                "audio": caps._tables()[-1]["audio"],
                                "video": {**caps._tables()[-1]["video"], "medium_jail": 10}},)
    monkeypatch.setattr(caps, "_tables", lambda: tables)
    assert visit_rules.lowest_video_cap("medium_jail", "2026-12-01", 14).cents_per_minute == 10
    assert visit_rules.lowest_video_cap("medium_jail", "2026-12-01", 5).cents_per_minute == 19
    found = rulebook.forbidden(document, "jail", 420, "2026-12-01")
    assert [f["field"] for f in found] == ["visit_policy.video.price_cents_per_minute"]


def test_templates_keep_local_time_across_a_daylight_saving_change():
    policy = visit_rules.visit_mode(DEMO_RULES, "onsite")
    tz = slots.zone("America/New_York")
    # 2026-11-01: clocks fall back from EDT (UTC-4) to EST (UTC-5).
    before = slots.slots_between(policy, DEMO_FACILITY_ID, tz, date(2026, 10, 31), date(2026, 10, 31))
    after = slots.slots_between(policy, DEMO_FACILITY_ID, tz, date(2026, 11, 1), date(2026, 11, 1))
    assert clock.iso(before[0].starts) == "2026-10-31T13:00:00Z"
    assert clock.iso(after[0].starts) == "2026-11-01T14:00:00Z"
    assert len(before) == len(after) == 8 and after[0].slot_id == "demo-county.onsite.20261101T1400Z"
    assert slots.slot_at(policy, DEMO_FACILITY_ID, tz, after[0].starts) == after[0]
    # A time the clocks skip (02:30 on 2027-03-14) is no slot.
    night = visit_rules.visit_mode({"visit_policy": {"onsite": {"templates": [
        {"weekday": "sunday", "start": "02:00", "end": "04:00", "slot_minutes": 30,
         "capacity": 1}]}}}, "onsite")
    skipped = slots.slots_between(night, "x", tz, date(2027, 3, 14), date(2027, 3, 14))
    assert [clock.iso(s.starts)[11:16] for s in skipped] == ["07:00", "07:30"]  # 03:00, 03:30 EDT


# --- holds ---------------------------------------------------------------------------------

def test_holding_and_booking_take_at_most_six_dynamodb_calls(visit_world):
    principal = family()
    slot = bookable_slot("video")
    with dynamodb_calls() as calls:
        status, held = booking.hold(principal, slot.slot_id, MARCUS)
        stored = booking.book(principal, {"hold_id": held["hold_id"],
                                          "payment_method_token": "tok_visa"}, "key-1")
    assert status == 201 and stored.status == 201
    assert len(calls) <= 6, calls
    print(f"hold + book: {len(calls)} DynamoDB calls: {calls}")


def test_listing_a_week_is_one_query_per_mode_whatever_the_history(visit_world):
    principal = family()
    for index in range(3):
        book(principal, bookable_slot("video", days_ahead=2, index=index))
    first = bookable_slot("video", days_ahead=2).local_date
    with dynamodb_calls() as calls:
        listed = booking.list_slots(principal, DEMO_FACILITY_ID, MARCUS, "video", first,
                                    date.fromordinal(first.toordinal() + 6))
    assert calls.count("Query") == 1 and len(calls) == 3, calls  # read, read, Query
    assert listed["items"] or listed["next_bookable_date"]


def test_a_full_slot_refuses_and_an_expired_hold_frees_its_place_without_a_job(visit_world):
    set_visit_policy("video", templates=[{"weekday": day, "start": "10:00", "end": "10:30",
                                          "slot_minutes": 30, "capacity": 1}
                                         for day in visit_rules.WEEKDAYS])
    first, second = family(1), family(2)
    slot = bookable_slot("video")
    assert booking.hold(first, slot.slot_id, MARCUS)[0] == 201
    again = booking.hold(first, slot.slot_id, MARCUS)
    assert again[0] == 200  # the same family asking again gets its live hold
    third = family(3, inmate_id=ELENA)
    assert problem(lambda: booking.hold(third, slot.slot_id, ELENA)).code == "slot_full"
    assert problem(lambda: booking.hold(second, slot.slot_id, MARCUS)).code == "inmate_unavailable"
    clock.advance(booking.HOLD_SECONDS + 1)
    status, held = booking.hold(third, slot.slot_id, ELENA)
    assert status == 201
    expired = problem(lambda: booking.book(first, {"hold_id": again[1]["hold_id"],
                                                   "payment_method_token": "tok_visa"}, "k"))
    assert expired.code == "hold_not_found"
    assert Visit.count() == 0


def test_an_inmate_is_never_in_two_visits_at_once_and_the_allowance_holds(visit_world):
    set_visit_policy("video", weekly_allowance=1)
    first, second = family(1), family(2)
    video = bookable_slot("video", days_ahead=3, index=2)  # 09:00-09:30
    book(first, video)
    onsite = bookable_slot("onsite", days_ahead=3, index=0)  # 09:00-10:00
    assert problem(lambda: booking.hold(second, onsite.slot_id, MARCUS)).code == \
        "inmate_unavailable"
    later = bookable_slot("video", days_ahead=3, index=10)
    used = problem(lambda: booking.hold(second, later.slot_id, MARCUS))
    assert used.code == "allowance_used"
    monday = slots.week_start(video.local_date).toordinal() + 7
    assert used.extensions["next_bookable_date"] == date.fromordinal(monday).isoformat()
    listed = booking.list_slots(second, DEMO_FACILITY_ID, MARCUS, "video", later.local_date,
                                later.local_date)
    assert listed == {"items": [], "next_bookable_date": used.extensions["next_bookable_date"]}


def test_odd_holds_are_clear_4xx_and_write_nothing(visit_world):
    principal, stranger = family(1), family(2, approved=False)
    soon = bookable_slot("video", days_ahead=0)
    codes = [problem(call).code for call in (
        lambda: booking.hold(principal, soon.slot_id, MARCUS),
        lambda: booking.hold(principal, "other-county.video.20261205T1900Z", MARCUS),
        lambda: booking.hold(principal, "demo-county.video.20261205T1907Z", MARCUS),
        lambda: booking.hold(principal, "nonsense", MARCUS),
        lambda: booking.hold(stranger, bookable_slot("video").slot_id, MARCUS))]
    assert codes == ["outside_booking_window", "inmate_not_found", "slot_not_found",
                     "slot_not_found", "contact_not_approved"]
    status, held = booking.hold(principal, bookable_slot("video").slot_id, MARCUS)
    crowd = [{"full_name": f"Visitor {n}", "date_of_birth": "1980-01-01"} for n in range(5)]
    too_many = problem(lambda: booking.book(principal, {"hold_id": held["hold_id"],
                                                        "visitors": crowd}, "k"))
    assert too_many.code == "too_many_visitors" and Visit.count() == 0
    other = problem(lambda: booking.book(stranger, {"hold_id": held["hold_id"]}, "k2"))
    assert isinstance(other, NotFound) and visit_world.operations == []


def test_a_booking_key_replays_and_refuses_another_body(visit_world):
    principal = family()
    status, held = booking.hold(principal, bookable_slot("video").slot_id, MARCUS)
    body = {"hold_id": held["hold_id"], "payment_method_token": "tok_visa"}
    first = booking.book(principal, body, "same-key")
    replay = booking.book(principal, body, "same-key")
    assert replay.replayed and replay.body() == first.body()
    assert problem(lambda: booking.book(principal, {**body, "visitors": []}, "same-key")).code \
        == "idempotency_key_reused"
    assert Visit.count() == 1 and [op for op, *_ in visit_world.operations] == \
        ["authorize", "capture"]


# --- remedies ------------------------------------------------------------------------------

def _journal(journal_id: str) -> list[int]:
    return sorted(int(e.amount_cents) for e in LedgerEntry.scan(LedgerEntry.journal_id == journal_id))


def test_family_cancels_an_hour_ahead_for_a_full_refund_and_later_for_none(visit_world):
    principal = family()
    early = book(principal, bookable_slot("video", index=0))
    cancelled = lifecycle.cancel_by_family(principal, early["visit_id"])
    assert cancelled["status"] == "cancelled" and cancelled["refund_cents"] == 30 * PRICE
    assert _journal(early["visit_id"] + ":refund") == [-450, 450]
    assert ("refund", 450) in [(op, cents) for op, _, cents in visit_world.operations]
    again = lifecycle.cancel_by_family(principal, early["visit_id"])
    assert again["refund_cents"] == 450 and _journal(early["visit_id"] + ":refund") == [-450, 450]
    freed = bookable_slot("video", index=0)
    listed = booking.list_slots(principal, DEMO_FACILITY_ID, MARCUS, "video", freed.local_date,
                                freed.local_date)
    assert listed["items"][0]["available"] == freed.capacity  # the place came back
    late = book(principal, bookable_slot("video", index=4))
    clock.advance(int(Visit.get(late["visit_id"]).starts) - clock.now() - 1800)
    assert lifecycle.cancel_by_family(principal, late["visit_id"])["refund_cents"] == 0
    started = book(principal, bookable_slot("video", days_ahead=4, index=6))
    clock.advance(int(Visit.get(started["visit_id"]).starts) - clock.now() + 60)
    assert problem(lambda: lifecycle.cancel_by_family(principal, started["visit_id"])).code == \
        "already_started"
    report = audit()
    assert report.mismatches == [] and report.total_cents == 0


def test_staff_decline_and_cancel_refund_in_full_and_tell_the_family_why(visit_world):
    principal = family()
    onsite = book(principal, bookable_slot("onsite", days_ahead=5))
    assert onsite["status"] == "requested" and onsite["price_cents"] == 0
    declined = lifecycle.decide(STAFF, DEMO_FACILITY_ID, onsite["visit_id"], "decline", "safety")
    assert declined["status"] == "declined" and declined["reason"] == "safety"
    assert problem(lambda: lifecycle.decide(STAFF, DEMO_FACILITY_ID, onsite["visit_id"],
                                            "approve", None)).code == "visit_state_changed"
    assert problem(lambda: lifecycle.decide(STAFF, "other-county", onsite["visit_id"],
                                            "approve", None)).code == "visit_not_found"
    video = book(principal, bookable_slot("video", days_ahead=5))
    cancelled = lifecycle.cancel_by_staff(STAFF, DEMO_FACILITY_ID, video["visit_id"], "safety")
    assert cancelled["cancelled_by"] == "staff" and cancelled["refund_cents"] == 450
    assert [line["status"] for line in cancelled["timeline"]] == ["scheduled", "cancelled"]
    bodies = [m.body for m in sent_emails("visit.family.1@example.com")]
    assert any("Threatens safety or security" in body and "$4.50" in body for body in bodies)
    assert audit().mismatches == []


def test_the_job_declines_undecided_requests_reminds_and_ends_unconnected_video(visit_world):
    principal = family()
    onsite = book(principal, bookable_slot("onsite", days_ahead=3))
    video = book(principal, bookable_slot("video", days_ahead=3, index=20))
    visit = Visit.get(video["visit_id"])
    clock.advance(int(visit.starts) - clock.now() - 30 * 3600)  # past the on-site cut-off
    assert lifecycle.run_due() == {"declined": 1, "reminded": 0, "ended": 0}
    assert Visit.get(onsite["visit_id"]).reason == states.NOT_DECIDED_IN_TIME
    clock.advance(6 * 3600 + 60)
    assert lifecycle.run_due()["reminded"] == 1
    clock.advance(23 * 3600)
    assert lifecycle.run_due()["reminded"] == 1 and lifecycle.run_due()["reminded"] == 0
    clock.advance(3600 + 30 * 60)
    assert lifecycle.run_due()["ended"] == 1
    ended = Visit.get(video["visit_id"])
    assert ended.status == "completed" and int(ended.refund_cents) == 450  # never connected
    assert int(ended.delivered_minutes) == 0
    subjects = [m.subject for m in sent_emails("visit.family.1@example.com")]
    assert sum("starts in" in s for s in subjects) == 2
    assert audit().mismatches == []


def test_release_cancels_coming_visits_with_a_full_refund(visit_world):
    principal = family()
    video = book(principal, bookable_slot("video", days_ahead=4))
    lifecycle.on_inmate_released(DEMO_FACILITY_ID, [MARCUS], "imp_x")
    released = Visit.get(video["visit_id"])
    assert (released.status, released.cancelled_by, released.reason, int(released.refund_cents)) \
        == ("cancelled", "system", states.INMATE_RELEASED, 450)


# --- video ---------------------------------------------------------------------------------

def _event(kind: str, visit_id: str, **fields) -> dict:
    body = {"type": kind, "external_meeting_id": visit_id, **fields}
    raw = json.dumps(body)
    return sessions.video_event(raw, sessions.signature(raw), body)


def test_joining_opens_ten_minutes_ahead_and_an_early_end_refunds_undelivered_minutes(visit_world):
    from chalicelib.core.identity import Principal

    principal = family()
    video = book(principal, bookable_slot("video", days_ahead=2))
    visit = Visit.get(video["visit_id"])
    early = problem(lambda: sessions.join(principal, visit.visit_id, as_inmate=False))
    assert early.code == "not_joinable_now" and early.extensions["opens_at"] == video["join_opens_at"]
    onsite = book(principal, bookable_slot("onsite", days_ahead=6))
    assert problem(lambda: sessions.join(principal, onsite["visit_id"], False)).code == "not_video"
    clock.advance(int(visit.starts) - clock.now() - 300)
    family_side = sessions.join(principal, visit.visit_id, as_inmate=False)
    inmate = Principal(MARCUS, "inmate", "ses_kiosk", DEMO_FACILITY_ID)
    inmate_side = sessions.join(inmate, visit.visit_id, as_inmate=True)
    assert family_side["meeting"] == inmate_side["meeting"]  # one meeting per visit
    assert family_side["attendee"]["AttendeeId"] != inmate_side["attendee"]["AttendeeId"]
    with pytest.raises(DomainError):
        sessions.video_event("{}", "bad", {"type": "meeting_ended",
                                           "external_meeting_id": visit.visit_id})
    clock.advance(300)
    _event("attendee_joined", visit.visit_id, external_user_id=f"family:{principal.account_id}")
    assert _event("attendee_joined", visit.visit_id,
                  external_user_id=f"inmate:{MARCUS}")["status"] == "in_progress"
    clock.advance(10 * 60)
    assert _event("meeting_ended", visit.visit_id, reason="system")["status"] == "completed"
    ended = Visit.get(visit.visit_id)
    assert int(ended.delivered_minutes) == 10 and int(ended.refund_cents) == 20 * PRICE
    clock.advance(3600)
    with pytest.raises(Conflict):
        sessions.join(principal, visit.visit_id, as_inmate=False)
    assert audit().mismatches == []


def test_data_rights_export_and_erase(visit_world):
    from chalicelib.visits.datarights import erase, export

    principal = family()
    book(principal, bookable_slot("video"), visitors=[{"full_name": "Dana Lee",
                                                       "date_of_birth": "1984-03-09"}])
    exported = export(principal.account_id)
    assert exported["visits"][0]["visitors"][0]["full_name"] == "Dana Lee"
    assert exported["visit_charges"][0]["amount_cents"] == 450
    erase(principal.account_id)
    assert export(principal.account_id)["visits"][0]["visitors"] == []


def test_staff_approve_check_in_and_no_show_on_site(visit_world):
    principal = family()
    first = book(principal, bookable_slot("onsite", days_ahead=3, index=0))
    second = book(principal, bookable_slot("onsite", days_ahead=3, index=3))
    for visit in (first, second):
        approved = lifecycle.decide(STAFF, DEMO_FACILITY_ID, visit["visit_id"], "approve", None)
        assert approved["status"] == "scheduled"
    assert problem(lambda: lifecycle.no_show(STAFF, DEMO_FACILITY_ID, second["visit_id"])).code \
        == "not_started"
    assert lifecycle.check_in(STAFF, DEMO_FACILITY_ID, first["visit_id"])["status"] == \
        "in_progress"
    clock.advance(int(Visit.get(second["visit_id"]).starts) - clock.now() + 60)
    assert lifecycle.no_show(STAFF, DEMO_FACILITY_ID, second["visit_id"])["status"] == "no_show"
    day = lifecycle.day_list(DEMO_FACILITY_ID, first["starts_at"][:10], 20, None)
    assert {item["visit_id"]: item["status"] for item in day["items"]} == {
        first["visit_id"]: "in_progress", second["visit_id"]: "no_show"}
    lifecycle.run_due()  # the checked-in visit ends with its slot
    assert Visit.get(first["visit_id"]).status == "completed"


def test_a_video_visit_paid_from_the_calling_balance_goes_back_to_it(visit_world):
    """`use_calling_balance`: one journal from the family's balance at the facility, no card;
    a short balance is refused with nothing written; a refund puts the money back there."""
    from chalicelib.core.store import write_together
    from chalicelib.payments import calling, ledger

    principal = family()
    balance = calling.calling_account(principal.account_id, DEMO_FACILITY_ID)
    at = clock.iso()
    write_together(lambda transaction: ledger.post(transaction, "fund-calling", "deposit", at, [
        ledger.Posting(ledger.card_clearing(DEMO_FACILITY_ID, "fund-calling", at), -600),
        ledger.Posting(balance, 600)]))
    operations_before = len(visit_world.operations)
    paid = book(principal, bookable_slot("video", index=0), token=None, use_calling_balance=True)
    assert paid["price_cents"] == 30 * PRICE and calling.available_cents(balance) == 150
    assert len(visit_world.operations) == operations_before  # the processor was not called
    status, held = booking.hold(principal, bookable_slot("video", index=2).slot_id, MARCUS)
    short = problem(lambda: booking.book(principal, {"hold_id": held["hold_id"],
                                                     "use_calling_balance": True}, "short-key"))
    assert short.code == "insufficient_balance" and calling.available_cents(balance) == 150
    assert [visit.visit_id for visit in Visit.by_account.query(principal.account_id)] == \
        [paid["visit_id"]]
    cancelled = lifecycle.cancel_by_family(principal, paid["visit_id"])
    assert cancelled["refund_cents"] == 450 and calling.available_cents(balance) == 600
    assert len(visit_world.operations) == operations_before  # no card refund either
    assert audit().mismatches == []


def test_the_monthly_statement_lists_the_visits_of_the_month(visit_world):
    """api.md "Calls": a statement holds the month's visits too (a section visits adds)."""
    from chalicelib.calls import statements

    principal = family()
    booked = book(principal, bookable_slot("video", days_ahead=3))
    starts = int(Visit.get(booked["visit_id"]).starts)
    month = slots.local_date(starts, slots.zone("America/New_York")).isoformat()[:7]
    listed = statements.statement(principal.account_id, DEMO_FACILITY_ID, month)["visits"]
    assert [(v["visit_id"], v["price_cents"]) for v in listed] == [(booked["visit_id"], 450)]
    assert statements.statement(principal.account_id, DEMO_FACILITY_ID, "2020-01")["visits"] == []
