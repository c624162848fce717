"""Visits over real HTTP (the live stack: chalice's threaded server over the emulator that
applies one request at a time, as `make run` serves it).

Twenty families, each with an approved contact to a different inmate, race from twenty
threads for one slot of capacity 3: exactly three holds, seventeen 409 `slot_full`, three
places taken.  Then one family books over HTTP with an Idempotency-Key, replays it, and cancels
with a full refund; the ledger balances (`make audit`'s check)."""
from __future__ import annotations

import json
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.accounts import Account, open_session
from chalicelib.core.identity import Client
from chalicelib.facilities import visit_rules
from chalicelib.facilities.seed import DEMO_FACILITY_ID, seed_demo_facility
from chalicelib.facilities.store import Facility, Inmate
from chalicelib.payments.audit import audit
from chalicelib.visits.store import VisitPlace
from tests.live_stack import post_json, running_stack
from tests.visit_support import bookable_slot, family, set_visit_policy

FAMILIES = 20
CAPACITY = 3
pytestmark = [pytest.mark.live, pytest.mark.slow]


@pytest.fixture(scope="module")
def stack(aws_state):
    """The live stack, the demo facility with a capacity-3 video slot every 30 minutes, and
    twenty families (tokens, inmate ids) with approved contacts."""
    with running_stack() as base_url:
        seed_demo_facility()
        set_visit_policy("video", templates=[
            {"weekday": day, "start": "08:00", "end": "20:00", "slot_minutes": 30,
             "capacity": CAPACITY} for day in visit_rules.WEEKDAYS])
        facility = Facility.get(DEMO_FACILITY_ID)
        people = []
        for n in range(FAMILIES):
            inmate_id = f"inm_R{n:04d}"
            Inmate(inmate_id, facility_id=DEMO_FACILITY_ID, inmate_number=f"R{n:04d}",
                   full_name=f"Person {n}", search_key=f"{n} person",
                   admitted_in={int(facility.roster_generation)}).save()
            principal = family(100 + n, inmate_id=inmate_id)
            session = open_session(Account.get(principal.account_id),
                                   Client("203.0.113.9", "race"))
            people.append((session.access_token, inmate_id))
        yield base_url, people


def _post(base_url: str, path: str, token: str, body: dict, key: str | None = None):
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return post_json(base_url, path, body, headers=headers, timeout=60)


def _get(base_url: str, path: str, token: str) -> dict:
    request = urllib.request.Request(base_url + path,
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_twenty_families_racing_for_three_places_get_exactly_three_holds(stack):
    base_url, people = stack
    slot = bookable_slot("video", days_ahead=2, index=4)
    with ThreadPoolExecutor(FAMILIES) as pool:
        answers = list(pool.map(
            lambda person: _post(base_url, "/v1/visits/holds", person[0],
                                 {"slot_id": slot.slot_id, "inmate_id": person[1]}), people))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] * CAPACITY + [409] * (FAMILIES - CAPACITY), answers
    assert {body["code"] for status, body in answers if status == 409} == {"slot_full"}
    stamp = slot.slot_id.rsplit(".", 1)[1]
    places = list(VisitPlace.query(f"{DEMO_FACILITY_ID}#video",
                                   VisitPlace.place.startswith(stamp + "#")))
    assert sorted(place.holder for place in places) == sorted(
        body["hold_id"] for status, body in answers if status == 201)


def test_booking_over_http_replays_its_key_and_cancels_with_a_full_refund(stack):
    base_url, people = stack
    token, inmate_id = people[0]
    slot = bookable_slot("video", days_ahead=3, index=8)
    status, held = _post(base_url, "/v1/visits/holds", token,
                         {"slot_id": slot.slot_id, "inmate_id": inmate_id})
    assert status == 201, held
    body = {"hold_id": held["hold_id"], "payment_method_token": "tok_visa",
            "visitors": [{"full_name": "Dana Lee", "date_of_birth": "1984-03-09"}]}
    key = uuid.uuid4().hex
    first = _post(base_url, "/v1/visits", token, body, key)
    again = _post(base_url, "/v1/visits", token, body, key)
    assert first[0] == again[0] == 201 and first[1] == again[1]
    assert first[1]["price_cents"] == 30 * 15 and first[1]["status"] == "scheduled"
    visit_id = first[1]["visit_id"]
    missing = _post(base_url, "/v1/visits", token, body)
    assert (missing[0], missing[1]["code"]) == (400, "idempotency_key_required")
    status, cancelled = _post(base_url, f"/v1/visits/{visit_id}/cancel", token, {})
    assert (status, cancelled["status"], cancelled["refund_cents"]) == (200, "cancelled", 450)
    repeat = _post(base_url, f"/v1/visits/{visit_id}/cancel", token, {})
    assert repeat == (200, cancelled)  # idempotent by the visit
    status, closed = _post(base_url, f"/v1/visits/{visit_id}/join", token, {})
    assert (status, closed["code"], closed["visit_status"]) == (409, "not_joinable_now",
                                                                "cancelled")
    shown = _get(base_url, f"/v1/visits/{visit_id}", token)
    assert [line["status"] for line in shown["timeline"]] == ["scheduled", "cancelled"]
    other_token = people[1][0]
    status, hidden = _post(base_url, f"/v1/visits/{visit_id}/cancel", other_token, {})
    assert (status, hidden["code"]) == (404, "visit_not_found")
    report = audit()
    assert report.mismatches == [] and report.total_cents == 0
