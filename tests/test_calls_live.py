"""Calls under concurrent platform requests over real HTTP (issue 15): the live stack (chalice's
threaded server over the emulator that applies one request at a time, as `make run` serves it).
Eight authorisations at once cannot hold more than the balance; eight ends of one call at once
charge it once; afterwards every ledger balance equals its entries (`make audit`)."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.calls.store import Call
from chalicelib.contacts.call_numbers import CallNumber
from chalicelib.contacts.states import CallNumberStatus
from chalicelib.core import clock
from chalicelib.core.identity import Client, Principal
from chalicelib.facilities import platform_keys, rulebook
from chalicelib.facilities.seed import DEMO_FACILITY_ID, DEMO_PLATFORM_KEY, DEMO_RULES
from chalicelib.facilities.store import Facility, Inmate
from chalicelib.payments import calling
from chalicelib.payments.audit import audit
from chalicelib.payments.ledger import LedgerEntry
from tests.live_stack import post_json, running_stack

pytestmark = [pytest.mark.live, pytest.mark.slow]
THREADS = 8
FAMILY, PHONE = "acc_live_calls", "+15035550142"
PLATFORM = {"X-Platform-Key": DEMO_PLATFORM_KEY}


@pytest.fixture(scope="module")
def stack(aws_state):
    with running_stack() as base_url:
        Facility(DEMO_FACILITY_ID, name="Demo County Jail", state="MD", kind="jail",
                 average_daily_population=420, rules=rulebook.complete(DEMO_RULES)).save()
        Inmate("inm_A1001", facility_id=DEMO_FACILITY_ID, inmate_number="A1001",
               full_name="Marcus Johnson", search_key="johnson marcus").save()
        platform_keys.issue(DEMO_FACILITY_ID, "Live platform", by="seed", key=DEMO_PLATFORM_KEY)
        CallNumber("inm_A1001", PHONE, number_id="num_live", account_id=FAMILY,
                   contact_id="con_live", facility_id=DEMO_FACILITY_ID,
                   status=CallNumberStatus.APPROVED, created_at=clock.iso()).save()
        calling.deposit(Principal(FAMILY, "family", "s"), Client("203.0.113.8", "live"),
                        uuid.uuid4().hex, {"account": "calling", "facility_id": DEMO_FACILITY_ID,
                                           "amount_cents": 300,
                                           "payment_method_token": "tok_visa"})
        yield base_url


def _authorize(base_url: str) -> tuple[int, dict]:
    return post_json(base_url, "/v1/telephony/calls/authorize",
                     {"inmate_number": "A1001", "dialed_number": PHONE}, headers=PLATFORM)


def test_concurrent_authorisations_and_ends_neither_overspend_nor_double_charge(stack):
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(lambda _: _authorize(stack), range(THREADS)))
    assert {status for status, _ in answers} == {200}
    allowed = [body for _, body in answers if body["allowed"]]
    # 3.00 at 10¢ a minute: two 15-minute holds of 1.50, then nothing is left to hold.
    assert len(allowed) == 2
    assert sum(int(Call.get(body["call_id"]).held_cents) for body in allowed) == 300
    assert {body["reason"] for _, body in answers if not body["allowed"]} == {"no_balance"}
    assert calling.available_cents(calling.calling_account(FAMILY, DEMO_FACILITY_ID)) == 0

    first, second = (body["call_id"] for body in allowed)
    same = {"connected_seconds": 125, "end_cause": "hangup"}
    with ThreadPoolExecutor(THREADS) as pool:
        ends = list(pool.map(
            lambda n: post_json(stack, f"/v1/telephony/calls/{first}/end", same, headers=PLATFORM),
            range(THREADS)))
        mixed = list(pool.map(
            lambda n: post_json(stack, f"/v1/telephony/calls/{second}/end",
                                {"connected_seconds": 60 * (n + 1), "end_cause": "hangup"},
                                headers=PLATFORM), range(THREADS)))
    assert ends == [(200, {"call_id": first, "charge_cents": 20, "billed_seconds": 125})] * 8
    won = [body for status, body in mixed if status == 200]
    assert len(won) == 1 and [status for status, _ in mixed].count(409) == THREADS - 1
    entries = [entry.journal_id for entry in LedgerEntry.scan() if entry.kind == "call"]
    assert (entries.count(first), entries.count(second)) == (3, 3)  # one journal each
    left = calling.available_cents(calling.calling_account(FAMILY, DEMO_FACILITY_ID))
    assert left == 300 - 20 - won[0]["charge_cents"]
    assert audit().ok
