"""Deposits, idempotency, limits, declines, refunds and IDOR (issue 4, api.md "Deposits")."""
from __future__ import annotations

from chalicelib.accounts.activity import newest_first
from chalicelib.core import clock
from chalicelib.payments import ledger
from chalicelib.payments.audit import audit
from tests.conftest import STRONG_PASSWORD, sent_emails
from tests.money_fixtures import (DEMO_FACILITY_ID, OTHER_FACILITY_ID, card, deposit_body,  # noqa: F401
                                  facilities, family, post_deposit, staff_token)



def log_in(api, email: str) -> str:
    return api.post("/v1/auth/login", {"email": email, "password": STRONG_PASSWORD}).json[
        "access_token"]


QUOTE = "/v1/deposits/quote?inmate_id=inm_A1001&account={account}&amount_cents={amount}"


def test_quote_shows_the_fee_from_the_facility_schedule(api, family):
    _, token = family
    for amount, fee in [(100, 30), (2000, 30), (2001, 90), (10000, 90), (30000, 620)]:
        response = api.get(QUOTE.format(account="trust", amount=amount), token=token)
        assert response.status_code == 200
        assert response.json == {"amount_cents": amount, "fee_cents": fee,
                                 "total_cents": amount + fee}
    phone = api.get(QUOTE.format(account="phone", amount=2000), token=token)
    assert phone.json["fee_cents"] == 0, "FCC 24-75: no ancillary fee on phone accounts"


def test_quote_refuses_amounts_outside_the_facility_limits(api, family):
    _, token = family
    for amount in (99, 30001):
        response = api.get(QUOTE.format(account="trust", amount=amount), token=token)
        assert response.status_code == 422 and response.json["code"] == "limit_exceeded"
    assert api.get(QUOTE.format(account="savings", amount=500), token=token).status_code == 400
    unknown = api.get("/v1/deposits/quote?inmate_id=nobody&account=trust&amount_cents=500",
                      token=token)
    assert unknown.status_code == 404


def test_deposit_charges_the_quoted_total_and_credits_the_inmate(api, family, card):
    email, token = family
    quoted = api.get(QUOTE.format(account="trust", amount=2500), token=token).json
    response = post_deposit(api, token, deposit_body(amount_cents=2500))
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == {"deposit_id", "amount_cents", "fee_cents", "total_cents", "status",
                         "created_at"}
    assert (body["amount_cents"], body["fee_cents"], body["total_cents"]) == (
        quoted["amount_cents"], quoted["fee_cents"], quoted["total_cents"])
    assert body["status"] == "completed"
    assert [op[0] for op in card.operations] == ["authorize", "capture"]
    assert card.net_cents() == quoted["total_cents"]
    assert ledger.balance_of("inmate:inm_A1001:trust") == 2500
    assert audit().ok


def test_deposit_sends_a_receipt_and_records_activity(api, family):
    email, token = family
    deposit_id = post_deposit(api, token).json["deposit_id"]
    [receipt] = [m for m in sent_emails(email) if "Receipt" in m.subject]
    assert "$20.00" in receipt.body and "$0.30" in receipt.body and deposit_id in receipt.body
    assert "Marcus Johnson" in receipt.body
    account_id = api.get("/v1/account", token=token).json["account_id"]
    types = [item["type"] for item in newest_first(account_id, 20, None)["items"]]
    assert "deposit_completed" in types


def test_deposit_requires_an_idempotency_key(api, family, card):
    _, token = family
    response = api.post("/v1/deposits", deposit_body(), token=token)
    assert response.status_code == 400 and response.json["code"] == "idempotency_key_required"
    assert card.operations == []
    bad = api.post("/v1/deposits", deposit_body(), token=token,
                   headers={"Idempotency-Key": "has space"})
    assert bad.status_code == 400 and bad.json["code"] == "invalid_idempotency_key"


def test_same_key_same_body_replays_the_first_response_byte_for_byte(api, family, card):
    _, token = family
    first = post_deposit(api, token, key="key-1")
    clock.advance(5)
    again = post_deposit(api, token, key="key-1")
    assert again.status_code == 201
    assert again.body == first.body
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len([op for op in card.operations if op[0] == "capture"]) == 1
    assert ledger.balance_of("inmate:inm_A1001:trust") == 2000
    assert len(api.get("/v1/deposits", token=token).json["items"]) == 1


def test_same_key_different_body_is_refused(api, family, card):
    _, token = family
    post_deposit(api, token, key="key-1")
    other = post_deposit(api, token, deposit_body(amount_cents=2100), key="key-1")
    assert other.status_code == 409 and other.json["code"] == "idempotency_key_reused"
    assert ledger.balance_of("inmate:inm_A1001:trust") == 2000


def test_keys_are_scoped_per_account(api, make_family, family):
    _, token = family
    _, _, other = make_family()
    assert post_deposit(api, token, key="shared").status_code == 201
    second = post_deposit(api, other["access_token"], key="shared")
    assert second.status_code == 201
    assert ledger.balance_of("inmate:inm_A1001:trust") == 4000


def test_keys_live_at_least_a_day(api, family):
    email, token = family
    first = post_deposit(api, token, key="key-day")
    clock.advance(23 * 3600)
    assert post_deposit(api, log_in(api, email), key="key-day").body == first.body
    clock.advance(2 * 3600)
    later = post_deposit(api, log_in(api, email), key="key-day")
    assert later.status_code == 201 and later.json["deposit_id"] != first.json["deposit_id"]


def test_declined_card_records_nothing_and_may_be_retried(api, family, card):
    _, token = family
    declined = post_deposit(api, token, deposit_body(token="tok_declined"), key="k")
    assert declined.status_code == 402 and declined.json["code"] == "payment_declined"
    assert ledger.balance_of("inmate:inm_A1001:trust") == 0
    assert api.get("/v1/deposits", token=token).json["items"] == []
    assert card.net_cents() == 0


def test_processor_outage_is_503_and_safe_to_retry(api, family, card):
    _, token = family
    failed = post_deposit(api, token, deposit_body(token="tok_processor_error"), key="k")
    assert failed.status_code == 503 and failed.json["code"] == "processor_unavailable"
    assert failed.headers.get("Retry-After")
    assert ledger.balance_of("inmate:inm_A1001:trust") == 0
    retried = post_deposit(api, token, deposit_body(token="tok_processor_error"), key="k")
    assert retried.status_code == 503
    assert api.get("/v1/deposits", token=token).json["items"] == []


def test_limits_per_deposit_and_per_sender_per_day(api, family, card):
    email, token = family
    for amount in (99, 30001):
        response = post_deposit(api, token, deposit_body(amount_cents=amount))
        assert response.status_code == 422 and response.json["code"] == "limit_exceeded"
    for _ in range(3):
        assert post_deposit(api, token, deposit_body(amount_cents=30000)).status_code == 201
    over = post_deposit(api, token, deposit_body(amount_cents=10001))
    assert over.status_code == 422 and over.json["code"] == "limit_exceeded"
    assert "$1,000.00" in over.json["detail"]
    assert post_deposit(api, token, deposit_body(amount_cents=10000)).status_code == 201
    assert card.net_cents() == 3 * (30000 + 620) + 10000 + 90
    clock.advance(24 * 3600)
    assert post_deposit(api, log_in(api, email), deposit_body(amount_cents=30000)).status_code == 201


def test_card_numbers_are_refused_and_never_stored(api, family, card, capsys):
    _, token = family
    for value in ("4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242",
                  "tok 5555555555554444"):
        response = post_deposit(api, token, deposit_body(token=value))
        assert response.status_code == 400, value
        assert response.json["code"] == "card_number_not_allowed"
        assert "4242" not in response.body.decode() and "4444" not in response.body.decode()
    not_luhn = post_deposit(api, token, deposit_body(token="4242424242424241"))
    assert not_luhn.status_code == 402, "a non-card digit string is just a bad token"
    quote = api.get("/v1/deposits/quote?inmate_id=4111111111111111&account=trust&amount_cents=500",
                    token=token)
    assert quote.json["code"] == "card_number_not_allowed"
    assert "4242424242424242" not in capsys.readouterr().out
    assert card.net_cents() == 0


def test_families_see_only_their_own_deposits(api, make_family, family):
    _, token = family
    _, _, other = make_family()
    mine = post_deposit(api, token).json["deposit_id"]
    theirs = post_deposit(api, other["access_token"], deposit_body(inmate_id="inm_A1002")).json
    assert api.get(f"/v1/deposits/{mine}", token=token).status_code == 200
    stolen = api.get(f"/v1/deposits/{theirs['deposit_id']}", token=token)
    assert stolen.status_code == 404
    assert [d["deposit_id"] for d in api.get("/v1/deposits", token=token).json["items"]] == [mine]


def test_deposit_list_is_newest_first_with_a_cursor(api, family):
    _, token = family
    ids = []
    for amount in (100, 200, 300):
        ids.append(post_deposit(api, token, deposit_body(amount_cents=amount)).json["deposit_id"])
        clock.advance(2)
    first = api.get("/v1/deposits?limit=2", token=token).json
    assert [d["deposit_id"] for d in first["items"]] == ids[:0:-1]
    rest = api.get(f"/v1/deposits?limit=2&cursor={first['next_cursor']}", token=token).json
    assert [d["deposit_id"] for d in rest["items"]] == ids[:1] and rest["next_cursor"] is None


def test_staff_see_balances_only_at_their_facility(api, family):
    _, token = family
    post_deposit(api, token, deposit_body(amount_cents=2000))
    clock.advance(1)
    post_deposit(api, token, deposit_body(amount_cents=700, account="phone"))
    staff = staff_token(api, DEMO_FACILITY_ID)
    response = api.get("/v1/staff/inmates/inm_A1001/balance", token=staff)
    assert response.status_code == 200
    assert response.json["balances"] == {"trust_cents": 2000, "phone_cents": 700}
    assert [(e["account"], e["amount_cents"]) for e in response.json["recent_entries"]] == [
        ("phone", 700), ("trust", 2000)]
    assert api.get("/v1/staff/inmates/inm_A1001/balance", token=token).status_code == 403
    stranger = staff_token(api, OTHER_FACILITY_ID)
    assert api.get("/v1/staff/inmates/inm_A1001/balance", token=stranger).status_code == 404


def test_refund_reverses_once_and_only_by_staff_of_that_facility(api, family, card):
    _, token = family
    deposit = post_deposit(api, token, deposit_body(amount_cents=5000)).json
    path = f"/v1/staff/deposits/{deposit['deposit_id']}/refund"
    assert api.post(path, {"reason": "sent in error"}, token=token).status_code == 403
    stranger = staff_token(api, OTHER_FACILITY_ID)
    assert api.post(path, {"reason": "x"}, token=stranger).status_code == 404
    staff = staff_token(api, DEMO_FACILITY_ID)
    refunded = api.post(path, {"reason": "sent in error"}, token=staff)
    assert refunded.status_code == 200, refunded.json
    assert refunded.json["status"] == "refunded" and refunded.json["card_refund"] == "sent"
    again = api.post(path, {"reason": "sent in error"}, token=staff)
    assert again.status_code == 409 and again.json["code"] == "already_refunded"
    assert ledger.balance_of("inmate:inm_A1001:trust") == 0
    assert card.net_cents() == 0
    assert api.get(f"/v1/deposits/{deposit['deposit_id']}", token=token).json["status"] == "refunded"
    assert audit().ok


def test_refund_of_money_already_spent_is_refused(api, family):
    _, token = family
    deposit = post_deposit(api, token, deposit_body(amount_cents=5000)).json
    from chalicelib.core.store import write_together

    write_together(lambda t: ledger.post(t, "spend_1", "purchase", clock.iso(), [
        ledger.Posting("inmate:inm_A1001:trust", -4000),
        ledger.Posting("facility:demo-county:commissary", 4000)]))
    staff = staff_token(api, DEMO_FACILITY_ID)
    refused = api.post(f"/v1/staff/deposits/{deposit['deposit_id']}/refund", {"reason": "x"},
                       token=staff)
    assert refused.status_code == 409 and refused.json["code"] == "insufficient_balance"
    assert ledger.balance_of("inmate:inm_A1001:trust") == 1000
    assert audit().ok
