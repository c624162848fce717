"""``make stripe-walkthrough``: the prod stage's card payments over HTTP, against
``scripts/fake_stripe.py`` (README "Payments: Stripe").  A deposit, a declined card, a stamp
purchase, a staff refund and a dispute (opened, replayed, lost) sent as signed webhooks; each
step prints what the API and the fake Stripe answered.  Exits 1 at the first surprise.
"""
from __future__ import annotations

import json
import os
import sys
import urllib.request

import fake_stripe  # scripts/ is on sys.path when run as a script
import walkthrough as client

STRIPE = os.environ.get("STRIPE_API_BASE", f"http://127.0.0.1:{fake_stripe.DEFAULT_PORT}")


def stripe_get(path: str) -> dict:
    request = urllib.request.Request(STRIPE + path, headers={
        "Authorization": f"Bearer {os.environ.get('STRIPE_SECRET_KEY', fake_stripe.API_KEY)}"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (local fake)
        return json.loads(response.read())


def show(what: str, response) -> None:
    print(f"{what}: {response.status} {json.dumps(response.json)}")


def main() -> int:
    client.outbox_reader.require_stack({"API_URL": client.API,
                                        "AWS_ENDPOINT_URL": client.EMULATOR})
    run = client.RUN
    token = client.signed_up(f"stripe.{run}@example.com")["access_token"]
    inmate_id = client.call("GET", "/v1/facilities/demo-county/inmates?q=A1001",
                            token=token).json["items"][0]["inmate_id"]
    body = {"inmate_id": inmate_id, "account": "trust", "amount_cents": 2500,
            "payment_method_token": "pm_card_visa"}
    deposit = client.call("POST", "/v1/deposits", body, token=token,
                          headers={"Idempotency-Key": f"stripe-dep-{run}"})
    show("deposit", deposit)
    client.check(deposit.status == 201, "a deposit with pm_card_visa is authorized and captured")
    declined = client.call("POST", "/v1/deposits", {**body, "payment_method_token":
                                                    "pm_card_chargeDeclined"},
                           token=token, headers={"Idempotency-Key": f"stripe-dec-{run}"})
    show("declined", declined)
    client.check(declined.status == 402, "a declined card is 402 payment_declined")
    stamps = client.call("POST", "/v1/stamps/purchase",
                         {"facility_id": "demo-county", "quantity": 3,
                          "payment_method_token": "pm_card_visa"},
                         token=token, headers={"Idempotency-Key": f"stripe-stp-{run}"})
    show("stamps", stamps)
    client.check(stamps.status == 201, "a stamp purchase is charged through Stripe")

    staff = client.staff_sign_in(client.STAFF)
    second = client.call("POST", "/v1/deposits", {**body, "amount_cents": 4000}, token=token,
                         headers={"Idempotency-Key": f"stripe-dep2-{run}"})
    refund = client.call("POST", f"/v1/staff/deposits/{second.json['deposit_id']}/refund",
                         {"reason": "Sent to the wrong person"}, token=staff)
    show("refund", refund)
    client.check(refund.status == 200 and refund.json["card_refund"] == "sent",
                 "staff refund a deposit; the card refund goes back through Stripe")

    total = deposit.json["total_cents"]
    [paid] = [i for i in stripe_get("/v1/payment_intents")["data"]
              if i["amount"] == total and i["status"] == "succeeded"][:1]
    payment_id = paid["id"]
    print(f"PaymentIntent of the first deposit at Stripe: {payment_id} ({paid['status']}, "
          f"{paid['amount_received']} cents received)")
    dispute = fake_stripe.dispute(payment_id, total, dispute_id=f"dp_{run}")
    opened = fake_stripe.event("charge.dispute.created", dispute)
    for attempt in ("dispute opened", "the same event again"):
        status, text = fake_stripe.post_event(client.API + "/v1/webhooks/stripe", opened,
                                              _webhook_secret())
        print(f"{attempt}: {status} {text}")
    client.check(json.loads(text) == {"received": True, "applied": False},
                 "a replayed event changes nothing")
    forged = fake_stripe.post_event(client.API + "/v1/webhooks/stripe", opened, "whsec_wrong")
    print(f"forged signature: {forged[0]} {forged[1]}")
    client.check(forged[0] == 400, "a bad signature is refused")
    seen = client.call("GET", f"/v1/deposits/{deposit.json['deposit_id']}", token=token)
    show("deposit after the dispute", seen)
    client.check(seen.json["dispute"] == "open", "the deposit shows its open dispute")
    again = client.call("POST", "/v1/deposits", {**body, "amount_cents": 1000}, token=token,
                        headers={"Idempotency-Key": f"stripe-dep3-{run}"})
    client.check(again.status == 201, "the inmate can still receive deposits")
    closed = fake_stripe.event("charge.dispute.closed", {**dispute, "status": "lost"})
    status, text = fake_stripe.post_event(client.API + "/v1/webhooks/stripe", closed,
                                          _webhook_secret())
    print(f"dispute lost: {status} {text}")
    after = client.call("GET", f"/v1/staff/inmates/{inmate_id}/balance", token=staff).json
    print(f"inmate balances after the dispute: {after['balances']}")
    print(f"{client.checks} checks passed")
    return 0


def _webhook_secret() -> str:
    return os.environ.get("STRIPE_WEBHOOK_SECRET", fake_stripe.WEBHOOK_SECRET)


if __name__ == "__main__":
    sys.exit(main())
