"""Stamp purchases and abuse-signal flags (issue 4)."""
from __future__ import annotations

from chalicelib.payments import ledger
from chalicelib.payments.audit import audit
from tests.money_fixtures import (DEMO_FACILITY_ID, OTHER_FACILITY_ID, admit, card, deposit_body,  # noqa: F401
                                  facilities, family, post_deposit, staff_token)


def buy(api, token, quantity=10, facility_id=DEMO_FACILITY_ID, key="stamps-1", payment="tok_visa"):
    return api.post("/v1/stamps/purchase", {"facility_id": facility_id, "quantity": quantity,
                                            "payment_method_token": payment},
                    token=token, headers={"Idempotency-Key": key})


def test_stamp_purchase_charges_the_facility_price_and_credits_the_balance(api, family, card):
    _, token = family
    response = buy(api, token, quantity=10)
    assert response.status_code == 201, response.json
    assert response.json["total_cents"] == 390 and response.json["unit_price_cents"] == 39
    assert response.json["status"] == "completed"
    assert card.net_cents() == 390
    buy(api, token, quantity=2, facility_id=OTHER_FACILITY_ID, key="stamps-2")
    balances = api.get("/v1/stamps", token=token).json["items"]
    assert sorted((b["facility_id"], b["balance"]) for b in balances) == [
        (DEMO_FACILITY_ID, 10), (OTHER_FACILITY_ID, 2)]
    assert audit().ok


def test_stamp_purchase_is_idempotent(api, family, card):
    _, token = family
    first = buy(api, token)
    again = buy(api, token)
    assert again.body == first.body and again.headers.get("Idempotent-Replayed") == "true"
    assert api.get("/v1/stamps", token=token).json["items"][0]["balance"] == 10
    reused = buy(api, token, quantity=11)
    assert reused.status_code == 409 and reused.json["code"] == "idempotency_key_reused"
    assert api.post("/v1/stamps/purchase", {"facility_id": DEMO_FACILITY_ID, "quantity": 1,
                                            "payment_method_token": "tok_visa"},
                    token=token).json["code"] == "idempotency_key_required"


def test_stamp_purchase_declined_or_unknown_facility_changes_nothing(api, family, card):
    _, token = family
    assert buy(api, token, payment="tok_declined").status_code == 402
    assert buy(api, token, facility_id="nowhere", key="k2").status_code == 404
    assert buy(api, token, quantity=0, key="k3").status_code == 400
    assert buy(api, token, quantity=101, key="k4").status_code == 400
    assert api.get("/v1/stamps", token=token).json["items"] == []
    assert card.net_cents() == 0


def test_money_endpoints_are_for_family_accounts(api, facilities):
    staff = staff_token(api, DEMO_FACILITY_ID)
    assert buy(api, staff).status_code == 403
    assert post_deposit(api, staff).status_code == 403
    assert api.get("/v1/deposits", token=staff).status_code == 403
    assert api.get("/v1/stamps").status_code == 401


def test_sender_paying_many_inmates_is_flagged_not_blocked(api, family):
    _, token = family
    for n in range(4):
        admit(f"inm_F{n}", DEMO_FACILITY_ID, f"F{n:04d}", f"Flag Person{n}")
    responses = [post_deposit(api, token, deposit_body(inmate_id=f"inm_F{n}", amount_cents=500))
                 for n in range(4)]
    assert all(r.status_code == 201 for r in responses), "flagged deposits still complete"
    staff = staff_token(api, DEMO_FACILITY_ID)
    flags = api.get("/v1/staff/flags", token=staff).json["items"]
    assert [f["deposit_id"] for f in flags] == [responses[3].json["deposit_id"]]
    assert flags[0]["rule_codes"] == ["sender_pays_many_inmates"]
    assert flags[0]["status"] == "pending" and flags[0]["details"]["inmates_paid_by_sender_today"] == 4
    assert api.get("/v1/staff/flags", token=staff_token(api, OTHER_FACILITY_ID)).json["items"] == []
    assert api.get("/v1/staff/flags", token=token).status_code == 403


def test_inmate_paid_by_many_senders_is_flagged_and_decided_once(api, make_family, family):
    senders = [family[1]] + [make_family()[2]["access_token"] for _ in range(5)]
    for sender in senders:
        assert post_deposit(api, sender, deposit_body(amount_cents=300)).status_code == 201
    staff = staff_token(api, DEMO_FACILITY_ID)
    [flag] = api.get("/v1/staff/flags", token=staff).json["items"]
    assert flag["rule_codes"] == ["inmate_paid_by_many_senders"]
    path = f"/v1/staff/flags/{flag['flag_id']}/decision"
    decided = api.post(path, {"decision": "cleared", "reason": "family reunion week"}, token=staff)
    assert decided.status_code == 200 and decided.json["status"] == "cleared"
    assert decided.json["decided_by"]
    again = api.post(path, {"decision": "escalated", "reason": "changed my mind"}, token=staff)
    assert again.status_code == 409 and again.json["code"] == "already_decided"
    stranger = staff_token(api, OTHER_FACILITY_ID)
    assert api.post(path, {"decision": "escalated", "reason": "x"}, token=stranger).status_code == 404


def test_flag_list_pages_newest_first(api, make_family, facilities, card):
    tokens = [make_family()[2]["access_token"] for _ in range(8)]
    for sender in tokens:
        post_deposit(api, sender, deposit_body(amount_cents=300))
    staff = staff_token(api, DEMO_FACILITY_ID)
    first = api.get("/v1/staff/flags?limit=2", token=staff).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.get(f"/v1/staff/flags?limit=2&cursor={first['next_cursor']}", token=staff).json
    assert len(rest["items"]) == 1
    assert ledger.balance_of("inmate:inm_A1001:trust") == 8 * 300
