"""Calls and the family's calling balance (issue 15), in-process: the platform API's answers,
rating at the legal cap, holds and the one journal per call, refunds newest deposit first, the
inactivity job, release, and call numbers over HTTP.  The threaded race is in
tests/test_calls_live.py."""
from __future__ import annotations

import uuid
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from chalicelib.calls import rating, service
from chalicelib.calls.store import Call
from chalicelib.contacts.call_numbers import CallNumber
from chalicelib.contacts.states import CallNumberStatus
from chalicelib.contacts.store import Contact
from chalicelib.core import clock
from chalicelib.core.errors import DomainError
from chalicelib.core.identity import Client, Principal
from chalicelib.facilities import caps, platform_keys
from chalicelib.facilities import rulebook
from chalicelib.facilities.seed import DEMO_FACILITY_ID, DEMO_RULES
from chalicelib.facilities.store import Facility, Inmate
from chalicelib.payments import calling, ledger
from chalicelib.payments.audit import audit
from chalicelib.payments.calling import CallingWallet
from chalicelib.payments.ledger import LedgerEntry
from chalicelib.web.problems import STATUS_BY_KIND
from tests.conftest import STRONG_PASSWORD, sent_emails, sent_sms
from tests.messaging_support import MARCUS, world  # noqa: F401  (fixture)
from tests.money_fixtures import card  # noqa: F401  (fixture)

CLIENT = Client("203.0.113.7", "pytest-calls")
PHONE = "+15035550142"
FAMILY = "acc_calls_family"


class Line(NamedTuple):
    key: str
    account_id: str


def add_number(account_id: str = FAMILY, inmate_id: str = MARCUS, phone: str = PHONE,
               status: str = CallNumberStatus.APPROVED) -> None:
    CallNumber(inmate_id, phone, number_id=f"num_{uuid.uuid4().hex}", account_id=account_id,
               contact_id="con_calls", facility_id=DEMO_FACILITY_ID, status=status,
               created_at=clock.iso()).save()


def fund(cents: int, account_id: str = FAMILY) -> dict:
    return calling.deposit(Principal(account_id, "family", "s"), CLIENT, uuid.uuid4().hex,
                           {"account": "calling", "facility_id": DEMO_FACILITY_ID,
                            "amount_cents": cents, "payment_method_token": "tok_visa"}).body()


def set_rules(**changes) -> None:
    facility = Facility.get(DEMO_FACILITY_ID)
    facility.rules = {**facility.rules.as_dict(), **changes}
    facility.save()


def balance(account: str) -> int:
    return calling.available_cents(account)


def family_balance(account_id: str = FAMILY) -> int:
    return balance(calling.calling_account(account_id, DEMO_FACILITY_ID))


@pytest.fixture
def line(api, card):
    Facility(DEMO_FACILITY_ID, name="Demo County Jail", state="MD", kind="jail",
             timezone="America/New_York", average_daily_population=420,
             rules=rulebook.complete(DEMO_RULES)).save()
    Inmate(MARCUS, facility_id=DEMO_FACILITY_ID, inmate_number="A1001",
           full_name="Marcus Johnson", search_key="johnson marcus").save()
    add_number()
    return Line(platform_keys.issue(DEMO_FACILITY_ID, "Test platform", by="admin")["key"], FAMILY)


def authorize(line: Line, number: str = "A1001", dialed: str = PHONE) -> dict:
    return service.authorize(line.key, {"inmate_number": number, "dialed_number": dialed})


def end(line: Line, call_id: str, seconds: int, cause: str = "hangup") -> dict:
    return service.end(line.key, call_id, {"connected_seconds": seconds, "end_cause": cause})


# --- rating (pure) ----------------------------------------------------------------------------

@given(rule_rate=st.integers(0, 60), cap=st.integers(1, 44), seconds=st.integers(0, 20_000),
       balance_cents=st.integers(0, 50_000), limit=st.integers(60, 14_400),
       cause=st.sampled_from(["hangup", "time_limit", "system", "network"]),
       free=st.booleans())
def test_rating_never_above_the_cap_and_never_above_the_hold(rule_rate, cap, seconds,
                                                             balance_cents, limit, cause, free):
    rate = rating.effective_rate(rule_rate, cap)
    assert 0 <= rate <= cap
    allowed = rating.max_seconds(limit, balance_cents, rate)
    hold = rating.charge_cents(allowed, rate)
    assert allowed <= limit and hold <= balance_cents
    billed, charge = rating.billed(seconds, allowed, cause, free, rate)
    assert billed <= allowed and 0 <= charge <= hold
    assert charge * 60 <= cap * billed  # never above cap × minutes, per second
    if rate:  # one more second would cost more than the balance (when the limit did not bind)
        assert allowed == limit or rating.charge_cents(allowed + 1, rate) > balance_cents


def test_caps_are_dated_data_with_their_basis():
    assert caps.audio_cap("jail", 420, "2026-01-10") == caps.Cap(7, "FCC 24-75", "2024-11-01")
    assert caps.audio_cap("jail", 420, "2026-04-06") == caps.Cap(12, "FCC 25-75", "2026-04-06")
    assert caps.audio_cap("prison", 5000, "2026-12-01").cents_per_minute == 11


# --- the platform API -------------------------------------------------------------------------

def test_authorise_holds_end_charges_one_journal_and_repeats_change_nothing(line):
    fund(1000)
    allowed = authorize(line)
    assert allowed["allowed"] and allowed["payer"] == "family"
    assert allowed["rate_cents_per_minute"] == 10 and allowed["max_seconds"] == 15 * 60
    assert family_balance() == 1000 - 150  # 15 minutes at 10¢ held
    assert end(line, allowed["call_id"], 125) == {"call_id": allowed["call_id"],
                                                  "charge_cents": 20, "billed_seconds": 125}
    assert family_balance() == 980
    journal = [e for e in LedgerEntry.scan() if e.journal_id == allowed["call_id"]]
    assert sum(int(e.amount_cents) for e in journal) == 0 and len(journal) == 3
    revenue = [e for e in journal if e.account.startswith("call_revenue#demo-county#")]
    assert [int(e.amount_cents) for e in revenue] == [20]
    entries = len(list(LedgerEntry.scan()))
    assert end(line, allowed["call_id"], 125)["charge_cents"] == 20  # same end: same answer
    with pytest.raises(DomainError) as conflict:
        end(line, allowed["call_id"], 300)
    assert conflict.value.code == "call_already_ended"
    assert len(list(LedgerEntry.scan())) == entries and family_balance() == 980
    assert audit().ok


def test_odd_platform_requests_are_clear_4xx_and_charge_nothing(line):
    fund(500)
    problems = {}
    for name, call in {
        "no_key": lambda: service.authorize(None, {"inmate_number": "A1001",
                                                   "dialed_number": PHONE}),
        "revoked": lambda: service.authorize("plk_x.nothing", {"inmate_number": "A1001",
                                                               "dialed_number": PHONE}),
        "unknown_inmate": lambda: authorize(line, number="Z9999"),
        "not_e164": lambda: authorize(line, dialed="12"),
        "unknown_call": lambda: end(line, "call_nope", 10),
    }.items():
        with pytest.raises(DomainError) as error:
            call()
        problems[name] = (error.value.kind, error.value.code)
    assert {name: (STATUS_BY_KIND[kind], code) for name, (kind, code) in problems.items()} == {
        "no_key": (401, "platform_not_registered"), "revoked": (401, "platform_not_registered"),
        "unknown_inmate": (404, "inmate_not_found"), "not_e164": (400, "invalid_request"),
        "unknown_call": (404, "call_not_found")}
    # Another facility's platform cannot end this facility's call.
    call_id = authorize(line)["call_id"]
    Facility("other-county", name="Other", state="VA", rules={}).save()
    other = platform_keys.issue("other-county", "Other platform", by="admin")["key"]
    with pytest.raises(DomainError) as foreign:
        service.end(other, call_id, {"connected_seconds": 60, "end_cause": "hangup"})
    assert foreign.value.code == "call_not_found"
    assert Call.get(call_id).status == "authorized" and audit().ok


def test_refusals_number_balance_blocked_and_removal_at_once(line):
    assert authorize(line) == {"allowed": False, "reason": "no_balance"}
    assert authorize(line, dialed="+12025550143") == {"allowed": False,
                                                       "reason": "number_not_approved"}
    add_number(phone="+12025550144", status=CallNumberStatus.DENIED)
    assert authorize(line, dialed="+12025550144")["reason"] == "blocked"
    fund(500)
    assert authorize(line)["allowed"]
    CallNumber.get(MARCUS, PHONE).delete()  # what DELETE /v1/call-numbers/{id} does
    assert authorize(line)["reason"] == "number_not_approved"


def test_payer_falls_back_to_the_inmate_and_agency_facilities_cost_families_nothing(line):
    from pynamodb.transactions import TransactWrite

    from chalicelib.core.store import transaction_connection

    with TransactWrite(connection=transaction_connection()) as transaction:  # 3.00 on the phone
        ledger.post(transaction, "seed_phone", "deposit", clock.iso(), [
            ledger.Posting(ledger.card_clearing(DEMO_FACILITY_ID, "seed_phone", clock.iso()), -300),
            ledger.Posting(calling.phone_account(MARCUS), 300)])
    inmate_call = authorize(line)
    assert inmate_call["payer"] == "inmate"
    assert end(line, inmate_call["call_id"], 60)["charge_cents"] == 10
    assert balance(calling.phone_account(MARCUS)) == 290
    set_rules(calls_paid_by="agency")
    fund(500)
    agency_call = authorize(line)
    assert agency_call["payer"] == "agency" and agency_call["max_seconds"] == 900
    assert end(line, agency_call["call_id"], 600)["charge_cents"] == 100
    assert family_balance() == 500 and balance(calling.phone_account(MARCUS)) == 290
    assert audit().ok


def test_relay_services_cost_nothing_and_need_no_registered_number(line, monkeypatch):
    from chalicelib.config import reset_settings

    monkeypatch.setenv("RELAY_NUMBERS", "+18008778339")
    reset_settings()
    try:
        relay = authorize(line, dialed="+18008778339")
        assert relay["allowed"] and relay["rate_cents_per_minute"] == 0
        assert end(line, relay["call_id"], 600)["charge_cents"] == 0
    finally:
        monkeypatch.delenv("RELAY_NUMBERS")
        reset_settings()
    assert authorize(line, dialed="+18008778339")["reason"] == "number_not_approved"


def test_rate_above_the_cap_is_charged_at_the_cap(line):
    set_rules(call_rate_cents_per_minute=50)  # stored before a lower cap: never charged
    fund(1000)
    allowed = authorize(line)
    assert allowed["rate_cents_per_minute"] == 12  # FCC 25-75, medium jail (ADP 420)
    assert end(line, allowed["call_id"], 61)["charge_cents"] == 12  # 61 s × 12¢/60, rounded down


def test_balance_limits_max_seconds_and_a_drop_in_the_first_minute_is_free_once(line):
    fund(100)
    first = authorize(line)
    assert first["max_seconds"] == 605  # 1.00 at 10¢ a minute: 605 s cost 100¢, 606 s 101¢
    assert end(line, first["call_id"], 45, "network")["charge_cents"] == 0
    again = authorize(line)
    assert again["continues_call_id"] == first["call_id"]
    assert end(line, again["call_id"], 45, "system")["charge_cents"] == 7  # no second free minute
    clock.advance(6 * 60)
    later = authorize(line)
    assert later["continues_call_id"] is None and later["max_seconds"] == 563  # 93¢ left
    assert end(line, later["call_id"], 9999, "hangup") == {  # billed up to max_seconds only
        "call_id": later["call_id"], "charge_cents": 93, "billed_seconds": 563}
    assert family_balance() == 0 and audit().ok


def test_a_call_never_ended_gives_its_hold_back(line):
    fund(300)
    allowed = authorize(line)
    assert family_balance() == 150
    clock.advance(allowed["max_seconds"] + 11 * 60)
    assert service.release_lapsed() == 1
    assert family_balance() == 300 and Call.get(allowed["call_id"]).status == "released"
    with pytest.raises(DomainError) as late:
        end(line, allowed["call_id"], 60)
    assert late.value.code == "call_already_ended" and audit().ok


# --- the calling balance ----------------------------------------------------------------------

def test_refund_goes_to_the_newest_deposits_first_with_no_fee(line, card):
    older, newer = fund(1000), fund(500)
    assert older["fee_cents"] == newer["fee_cents"] == 0
    call = authorize(line)
    end(line, call["call_id"], 600)  # 100¢
    refund = calling.refund_balance(FAMILY, DEMO_FACILITY_ID, "requested")
    assert refund["amount_cents"] == 1400 and refund["status"] == "sent"
    assert refund["parts"] == [{"deposit_id": newer["deposit_id"], "amount_cents": 500},
                               {"deposit_id": older["deposit_id"], "amount_cents": 900}]
    assert [cents for op, _id, cents in card.operations if op == "refund"] == [500, 900]
    assert family_balance() == 0
    assert calling.refund_balance(FAMILY, DEMO_FACILITY_ID, "requested")["amount_cents"] == 0
    assert audit().ok


def test_idle_balance_is_warned_at_150_and_173_days_and_refunded_at_180(line):
    from chalicelib.accounts.store import Account

    Account(FAMILY, email="idle@example.com", full_name="Ida Idle", password_hash="x",
            created_at=clock.iso(), password_changed_at=clock.iso()).save()
    fund(700)

    def day(n: int) -> dict:
        clock.reset()
        clock.advance(n * 86_400)
        return calling.work_idle_wallets(lambda account_id: None)

    assert day(149) == {"warned": 0, "refunded": 0, "rescheduled": 0}
    assert day(150)["warned"] == 1 and day(151)["warned"] == 0
    assert day(173)["warned"] == 1
    assert family_balance() == 700
    assert day(180)["refunded"] == 1 and family_balance() == 0
    subjects = [email.subject for email in sent_emails("idle@example.com")]
    assert len(subjects) == 4 and "Receipt" in subjects[0] and "7.00" in subjects[-1]
    assert CallingWallet.count() == 0 and audit().ok


def test_a_sign_in_moves_the_idle_clock(line):
    fund(700)
    clock.advance(150 * 86_400)
    signed_in = clock.iso(clock.now() - 10 * 86_400)
    assert calling.work_idle_wallets(lambda account_id: signed_in)["rescheduled"] == 1
    assert CallingWallet.get(FAMILY, DEMO_FACILITY_ID).step_day == calling._day_after(signed_in,
                                                                                      150)


def test_release_refunds_the_families_calling_balances(line, card):
    fund(400)
    Contact("con_calls", account_id=FAMILY, inmate_id=MARCUS, facility_id=DEMO_FACILITY_ID,
            status="approved", review_key="x", approved_inmate_id=MARCUS, family_name="F",
            inmate_name="M", inmate_number="A1001", created_at=clock.iso(),
            created_key=f"{clock.iso()}#con_calls").save()
    service.refund_on_release(DEMO_FACILITY_ID, [MARCUS], "imp_test")
    assert family_balance() == 0
    assert [cents for op, _id, cents in card.operations if op == "refund"] == [400]
    listed = service.releases(DEMO_FACILITY_ID, 20, None)["items"]
    assert [(r["inmate_number"], r["trust_cents"], r["phone_cents"]) for r in listed] == [
        ("A1001", 0, 0)]


def test_statement_of_the_month_and_the_email_on_the_first(line):
    from chalicelib.accounts.store import Account
    from chalicelib.calls import statements

    Account(FAMILY, email="monthly@example.com", full_name="Mo Monthly", password_hash="x",
            created_at=clock.iso(), password_changed_at=clock.iso()).save()
    clock.advance(-clock.now() + 1_798_761_600 - 40 * 86_400)  # 2026-11-22 UTC
    fund(300)
    call = authorize(line)
    end(line, call["call_id"], 125)
    month = statements.statement(FAMILY, DEMO_FACILITY_ID, "2026-11")
    assert (month["opening_balance_cents"], month["closing_balance_cents"]) == (0, 280)
    assert month["calling_balance_movements"] == {"call": -20, "deposit": 300}
    assert [c["charge_cents"] for c in month["calls"]] == [20] and month["call_charges_cents"] == 20
    assert (month["from"], month["to"]) == ("2026-11-01T04:00:00Z", "2026-12-01T05:00:00Z")
    clock.advance(9 * 86_400)  # 2026-12-01
    assert statements.email_last_month() == 1
    assert "2026-11" in sent_emails("monthly@example.com")[-1].subject


# --- call numbers over HTTP -------------------------------------------------------------------

def test_call_number_needs_password_code_and_staff_when_the_rules_say(world):  # noqa: F811
    family = world.family()
    contact_id = world.contact(family)
    set_rules(call_numbers_need_approval=True)
    body = {"phone": "503-555-0142", "contact_id": contact_id,
            "current_password": STRONG_PASSWORD + "x"}
    assert world.api.post("/v1/call-numbers", body, token=family.token).status_code == 403
    body["current_password"] = STRONG_PASSWORD
    started = world.api.post("/v1/call-numbers", body, token=family.token)
    assert started.status_code == 202 and started.json["status"] == "pending_verification"
    number_id = started.json["number_id"]
    code = sent_sms(PHONE)[-1].split(": ")[1][:6]
    path = f"/v1/call-numbers/{number_id}/verify"
    wrong = world.api.post(path, {"code": "000000" if code != "000000" else "111111"},
                           token=family.token)
    assert wrong.json["code"] == "invalid_or_expired_code"
    verified = world.api.post(path, {"code": code}, token=family.token)
    assert verified.status_code == 200 and verified.json["status"] == "pending_approval"
    assert CallNumber.get(MARCUS, PHONE).code_digest is None  # the code is single use
    queue = world.api.get("/v1/staff/call-numbers?status=pending", token=world.staff)
    assert [item["number_id"] for item in queue.json["items"]] == [number_id]
    decided = world.api.post(f"/v1/staff/call-numbers/{number_id}/decision",
                             {"decision": "approve"}, token=world.staff)
    assert decided.json["status"] == "approved"
    other = world.family()
    assert world.api.delete(f"/v1/call-numbers/{number_id}",
                            token=other.token).status_code == 404
    assert world.api.delete(f"/v1/call-numbers/{number_id}",
                            token=family.token).status_code == 204
    assert world.api.get("/v1/call-numbers", token=family.token).json["items"] == []
    # The calling balance is funded through POST /v1/deposits, by facility, never with a fee.
    body = {"account": "calling", "amount_cents": 500, "payment_method_token": "tok_visa"}
    wrong = world.api.post("/v1/deposits", {**body, "inmate_id": MARCUS}, token=family.token,
                           headers={"Idempotency-Key": uuid.uuid4().hex})
    assert wrong.status_code == 400 and wrong.json["errors"][0]["field"] == "facility_id"
    funded = world.api.post("/v1/deposits", {**body, "facility_id": DEMO_FACILITY_ID},
                            token=family.token, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert funded.status_code == 201 and funded.json["fee_cents"] == 0
    assert world.api.get(f"/v1/calling/{DEMO_FACILITY_ID}",
                         token=family.token).json["balance_cents"] == 500


# --- call histories (Hypothesis, against the tables) ---------------------------------------------

@settings(max_examples=5, deadline=None, phases=(Phase.generate,),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(st.tuples(st.integers(0, 1200),
                                  st.sampled_from(["hangup", "time_limit", "system", "network"]),
                                  st.booleans()), min_size=1, max_size=4),
       deposit=st.integers(100, 600))
def test_call_histories_keep_every_invariant(line, history, deposit):
    for account in ledger.LedgerBalance.scan():  # each example starts from an empty wallet
        account.delete()
    for entry in LedgerEntry.scan():
        entry.delete()
    fund(deposit)
    paid = 0
    for seconds, cause, ends in history:
        allowed = authorize(line)
        if not allowed["allowed"]:
            assert family_balance() < 10
            continue
        if ends:
            charge = end(line, allowed["call_id"], seconds, cause)
            assert charge["charge_cents"] * 60 <= 12 * charge["billed_seconds"]
            paid += charge["charge_cents"]
        assert family_balance() >= 0
    clock.advance(3 * 3600)
    service.release_lapsed()
    assert family_balance() == deposit - paid and audit().ok


def test_authorise_and_end_stay_within_their_dynamodb_budget(line):
    """Issue 15's numbers: authorise 4 reads and 1 transaction, end 2 reads and 1 transaction
    (the platform key's read included in both)."""
    from chalicelib.core.store import transaction_connection

    fund(500)
    made: list[str] = []
    events = transaction_connection().client.meta.events
    record = lambda model, **kwargs: made.append(model.name)  # noqa: E731
    events.register("before-call.dynamodb", record)
    try:
        allowed = authorize(line)
        authorised, made[:] = list(made), []
        end(line, allowed["call_id"], 60)
        ended = list(made)
    finally:
        events.unregister("before-call.dynamodb", record)
    assert authorised == ["GetItem", "Query", "TransactGetItems", "GetItem",
                          "TransactWriteItems"], authorised
    assert ended == ["GetItem", "GetItem", "TransactWriteItems"], ended


def test_odd_platform_input_over_http_is_a_4xx_never_a_5xx(line, api):
    key = {"X-Platform-Key": line.key}
    fund(500)
    answers = [api.post(path, body, headers=key).status_code for path, body in [
        ("/v1/telephony/calls/authorize", {"inmate_number": "   ", "dialed_number": PHONE}),
        ("/v1/telephony/calls/authorize", {"inmate_number": "A1001", "dialed_number": "\u202e12"}),
        ("/v1/telephony/calls/authorize", {"inmate_number": "A1001",
                                           "dialed_number": "+1503555014299999999"}),
        ("/v1/telephony/calls/authorize", {"inmate_number": "A1001"}),
        ("/v1/telephony/calls/" + "x" * 3000 + "/end", {"connected_seconds": 1,
                                                        "end_cause": "hangup"}),
        ("/v1/telephony/calls/c/end", {"connected_seconds": -1, "end_cause": "hangup"}),
        ("/v1/telephony/calls/c/end", {"connected_seconds": 10 ** 12, "end_cause": "hangup"}),
        ("/v1/telephony/calls/c/end", {"connected_seconds": 60, "end_cause": "bored"}),
    ]]
    assert answers == [404, 400, 400, 400, 404, 400, 400, 400]
    assert family_balance() == 500 and Call.count() == 0
