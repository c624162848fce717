"""Stripe (issue 12 item 3): the official library against a local fake Stripe HTTP server
(scripts/fake_stripe.py; moto has no Stripe), webhook signatures with Stripe's scheme, the
reconciliation job, and the start-up check of a stage without a processor."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid

import pytest

from chalicelib.config import reset_settings
from chalicelib.core import clock
from chalicelib.payments import ledger, settlement
from chalicelib.payments import processor as processors
from chalicelib.payments.audit import audit
from chalicelib.payments.store import CardPayment, Deposit, ProcessorEvent
from scripts.fake_stripe import (API_KEY, WEBHOOK_SECRET, FakeStripe, dispute, event,
                                 signature_header)
from tests.conftest import ROOT
from tests.money_fixtures import (card, deposit_body, facilities, family,  # noqa: F401
                                  post_deposit, staff_token)

VISA, DECLINED = "pm_card_visa", "pm_card_chargeDeclined"
TRUST = ledger.inmate_account("inm_A1001", "trust")
WEBHOOK = "/v1/webhooks/stripe"

NO_CALLING_REFUNDS = {"calling_refunds_sent": 0, "calling_refunds_still_owed": 0}


def use_stripe(monkeypatch, base_url: str, **extra: str) -> None:
    for name, value in {"PAYMENT_PROCESSOR": "stripe", "STRIPE_API_BASE": base_url,
                        "STRIPE_SECRET_KEY": API_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                        **extra}.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    processors.use_processor(None)


@pytest.fixture
def fake(family, monkeypatch):
    """The family signed in, and the API's processor the ``stripe`` library against a fake."""
    with FakeStripe() as server:
        use_stripe(monkeypatch, server.url)
        yield server
        processors.use_processor(None)


def pay(api, token: str, amount: int = 2000, method: str = VISA, key: str | None = None):
    return post_deposit(api, token, deposit_body(amount_cents=amount, token=method), key=key)


def house_total(kind: str, facility_id: str = "demo-county") -> int:
    """The sum of a facility's house accounts of one kind (every day and stripe)."""
    from chalicelib.payments.ledger import LedgerBalance

    return sum(int(found.balance_cents) for found in LedgerBalance.scan()
               if (parts := ledger.parse_house_account(found.account)) is not None
               and (parts.kind, parts.facility_id) == (kind, facility_id))


def send(api, body: dict | bytes, secret: str = WEBHOOK_SECRET, at: int | None = None,
         signature: str | None = None):
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {} if signature == "" else {
        "Stripe-Signature": signature or signature_header(payload, secret, at)}
    return api.post(WEBHOOK, raw=payload, headers=headers)


# --- payments --------------------------------------------------------------------------------

def test_deposit_and_stamps_authorize_then_capture_one_payment_intent(api, family, fake):
    _, token = family
    response = pay(api, token, key="one-key")
    assert response.status_code == 201, response.json
    total = response.json["total_cents"]
    [intent] = fake.intents.values()
    assert (intent["status"], intent["amount_received"], intent["capture_method"]) == \
        ("succeeded", total, "manual")
    assert [path.rsplit("/", 1)[-1] for _, path in fake.requests] == ["payment_intents", "capture"]
    payment = CardPayment.get(intent["id"])
    assert (payment.capture, payment.unsettled, payment.journal_id) == \
        ("captured", None, response.json["deposit_id"])
    replay = pay(api, token, key="one-key")
    assert replay.json == response.json and len(fake.intents) == 1, "a replay charges nothing"

    stamps = api.post("/v1/stamps/purchase", {"facility_id": "demo-county", "quantity": 3,
                                               "payment_method_token": VISA},
                      token=token, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert stamps.status_code == 201, stamps.json
    assert fake.captured_cents() == total + stamps.json["total_cents"]
    assert not settlement.unsettled() and audit().ok


def test_one_request_retried_reuses_its_authorization(api, family, fake):
    """Stripe's idempotency key comes from our key and body: the same request authorizes once;
    one that was cancelled (its transaction failed) is followed by a new one."""
    stripe = processors.processor()
    first = stripe.authorize(VISA, 1000, "acct:key:body:authorize")
    assert stripe.authorize(VISA, 1000, "acct:key:body:authorize") == first
    assert len(fake.intents) == 1
    stripe.void(first, f"{first.authorization_id}:cancel")
    again = stripe.authorize(VISA, 1000, "acct:key:body:authorize")
    assert again != first and fake.intents[again.authorization_id]["status"] == "requires_capture"
    keys = {key for (_, key) in fake.replays}
    assert all(key.startswith("kinlink-") and "acct" not in key for key in keys)


def test_declined_card_is_402_and_records_nothing(api, family, fake):
    _, token = family
    response = pay(api, token, method=DECLINED)
    assert response.status_code == 402 and response.json["code"] == "payment_declined"
    assert list(Deposit.scan()) == [] and list(CardPayment.scan()) == []
    assert ledger.balance_of(TRUST) == 0


def test_stripe_unreachable_is_a_retryable_503_within_the_time_budget(api, family, monkeypatch):
    _, token = family
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    use_stripe(monkeypatch, f"http://127.0.0.1:{closed}")
    response = pay(api, token)
    assert response.status_code == 503 and response.json["code"] == "processor_unavailable"
    assert response.headers.get("Retry-After") and list(Deposit.scan()) == []
    processors.use_processor(None)


def test_a_slow_stripe_is_cut_off_by_the_timeout_and_one_retry(api, family, monkeypatch):
    _, token = family
    with FakeStripe() as slow:
        slow.delay_seconds = 3
        use_stripe(monkeypatch, slow.url, STRIPE_TIMEOUT_SECONDS="1")
        started = time.monotonic()
        response = pay(api, token)
        elapsed = time.monotonic() - started
        processors.use_processor(None)
    assert response.status_code == 503 and response.json["code"] == "processor_unavailable"
    assert elapsed < 3.5, "two tries of 1 s and a short back-off, not 3 s or more"


# --- captures and refunds the job finishes ---------------------------------------------------

def test_a_capture_failing_after_commit_is_retried_by_the_job_until_it_settles(api, family, fake):
    _, token = family
    fake.fail_captures(2)  # the request's one try (not retried there), then the job's first
    response = pay(api, token)
    assert response.status_code == 201, "the ledger committed: the deposit is made"
    [intent] = fake.intents.values()
    assert intent["status"] == "requires_capture" and ledger.balance_of(TRUST) == 2000
    assert [p.payment_id for p in settlement.unsettled()] == [intent["id"]]

    assert settlement.reconcile() == {"captured": 0, "refunds_settled": 0, "still_pending": 1,
                                      **NO_CALLING_REFUNDS}
    backed_off = CardPayment.get(intent["id"])
    assert backed_off.attempts == 1 and backed_off.retry_at > clock.iso()
    calls = len(fake.requests)
    assert settlement.reconcile()["still_pending"] == 0 and len(fake.requests) == calls, \
        "nothing is due before its time"
    clock.advance(61)
    assert settlement.reconcile()["captured"] == 1
    assert intent["status"] == "succeeded" and fake.captured_cents() == response.json["total_cents"]
    assert CardPayment.get(intent["id"]).capture == "captured" and not settlement.unsettled()


def test_a_deposit_reversed_before_its_capture_releases_the_hold(api, family, fake):
    _, token = family
    fake.fail_captures(1)
    deposit = pay(api, token).json
    refunded = api.post(f"/v1/staff/deposits/{deposit['deposit_id']}/refund",
                        {"reason": "duplicate"}, token=staff_token(api, "demo-county"))
    assert refunded.json["card_refund"] == "sent"
    [intent] = fake.intents.values()
    assert intent["status"] == "canceled" and fake.refunds == {} and fake.captured_cents() == 0
    assert CardPayment.get(intent["id"]).capture == "voided" and not settlement.unsettled()
    assert settlement.reconcile() == {"captured": 0, "refunds_settled": 0, "still_pending": 0,
                                      **NO_CALLING_REFUNDS}


def test_refund_goes_back_through_stripe_once(api, family, fake):
    _, token = family
    deposit = pay(api, token).json
    staff = staff_token(api, "demo-county")
    path = f"/v1/staff/deposits/{deposit['deposit_id']}/refund"
    refunded = api.post(path, {"reason": "sent in error"}, token=staff)
    assert refunded.status_code == 200 and refunded.json["card_refund"] == "sent"
    assert api.post(path, {"reason": "again"}, token=staff).json["code"] == "already_refunded"
    [refund] = fake.refunds.values()
    assert refund["amount"] == deposit["total_cents"] and fake.captured_cents() == 0
    assert not settlement.unsettled() and audit().ok


def test_a_pending_refund_is_followed_by_the_job_until_it_settles(api, family, fake):
    _, token = family
    deposit = pay(api, token).json
    fake.refund_status = "pending"
    refunded = api.post(f"/v1/staff/deposits/{deposit['deposit_id']}/refund",
                        {"reason": "duplicate"}, token=staff_token(api, "demo-county"))
    assert refunded.json["card_refund"] == "pending"
    [refund] = fake.refunds.values()
    [waiting] = settlement.unsettled()
    assert (waiting.unsettled, waiting.refund_id) == ("refund", refund["id"])
    clock.advance(61)
    assert settlement.reconcile()["still_pending"] == 1, "still pending at Stripe"
    refund["status"] = "succeeded"
    clock.advance(121)
    assert settlement.reconcile()["refunds_settled"] == 1
    assert Deposit.get(deposit["deposit_id"]).card_refund == "sent"
    assert len(fake.refunds) == 1 and not settlement.unsettled()


def test_a_refund_stripe_could_not_take_is_sent_by_the_job(api, family, fake):
    _, token = family
    deposit = pay(api, token).json
    fake.down = True  # Stripe goes away after the deposit
    refunded = api.post(f"/v1/staff/deposits/{deposit['deposit_id']}/refund",
                        {"reason": "duplicate"}, token=staff_token(api, "demo-county"))
    assert refunded.status_code == 200 and refunded.json["card_refund"] == "pending"
    assert ledger.balance_of(TRUST) == 0, "the ledger is reversed at once"
    fake.down = False
    clock.advance(61)
    assert settlement.reconcile()["refunds_settled"] == 1
    assert fake.captured_cents() == 0 and Deposit.get(deposit["deposit_id"]).card_refund == "sent"


# --- webhooks ----------------------------------------------------------------------------------

@pytest.fixture
def paid(api, family, fake):
    """A captured deposit: (deposit response, its PaymentIntent id)."""
    deposit = pay(api, family[1]).json
    return deposit, CardPayment.get(next(iter(fake.intents))).payment_id


def test_signatures_follow_stripes_scheme(api, paid):
    deposit, intent = paid
    body = event("charge.dispute.created", dispute(intent, deposit["total_cents"]))
    payload = json.dumps(body).encode()
    refused = {
        "missing": send(api, payload, signature=""),
        "wrong secret": send(api, payload, secret="whsec_someone_else"),
        "stale": send(api, payload, at=int(time.time()) - 301),
        "tampered": send(api, payload.replace(b'"amount": ', b'"amount": 1'),
                         signature=signature_header(payload, WEBHOOK_SECRET)),
        "garbage": send(api, payload, signature="t=abc,v1=xyz"),
    }
    for name, response in refused.items():
        assert (response.status_code, response.json["code"]) == (400, "invalid_signature"), name
    assert list(ProcessorEvent.scan()) == [] and Deposit.get(deposit["deposit_id"]).dispute is None
    accepted = send(api, payload, at=int(time.time()) - 200)
    assert accepted.status_code == 200 and accepted.json == {"received": True, "applied": True}


def test_a_dispute_moves_money_aside_without_freezing_the_inmate(api, family, paid):
    _, token = family
    deposit, intent = paid
    total = deposit["total_cents"]
    created = event("charge.dispute.created", dispute(intent, total, dispute_id="dp_1"))
    assert send(api, created).json["applied"] is True
    assert house_total("disputed") == -total
    assert ledger.balance_of(TRUST) == 2000, "the inmate keeps the money"
    assert api.get(f"/v1/deposits/{deposit['deposit_id']}", token=token).json["dispute"] == "open"
    entries = audit().entries
    assert send(api, created).json == {"received": True, "applied": False}, "a replay"
    assert audit().entries == entries
    assert pay(api, token, amount=1000).status_code == 201, "deposits still reach the inmate"

    lost = event("charge.dispute.closed", dispute(intent, total, "lost", dispute_id="dp_1"))
    assert send(api, lost).json["applied"] is True
    assert house_total("disputed") == 0
    assert house_total("card_losses") == -total
    assert Deposit.get(deposit["deposit_id"]).dispute == "lost"
    assert ledger.balance_of(TRUST) == 3000 and audit().ok


def test_a_won_dispute_returns_the_money_to_card_clearing(api, paid):
    deposit, intent = paid
    total = deposit["total_cents"]
    clearing = house_total("card_clearing")
    send(api, event("charge.dispute.created", dispute(intent, total, dispute_id="dp_2")))
    won = send(api, event("charge.dispute.closed", dispute(intent, total, "won", "dp_2")))
    assert won.json["applied"] is True
    assert house_total("card_clearing") == clearing
    assert house_total("card_losses") == 0 and audit().ok


def test_a_refund_made_in_stripes_dashboard_reverses_the_deposit(api, paid):
    deposit, intent = paid
    charge = {"id": "ch_1", "object": "charge", "payment_intent": intent,
              "amount": deposit["total_cents"], "amount_refunded": deposit["total_cents"]}
    body = event("charge.refunded", charge)
    assert send(api, body).json["applied"] is True
    assert send(api, body).json["applied"] is False
    found = Deposit.get(deposit["deposit_id"])
    assert (found.status, found.card_refund, found.refunded_by) == ("refunded", "sent", "stripe")
    assert ledger.balance_of(TRUST) == 0 and audit().ok


def test_events_about_other_payments_are_acknowledged_and_ignored(api, paid):
    other = send(api, event("charge.dispute.created", dispute("pi_not_ours", 500)))
    ignored = send(api, event("customer.created", {"id": "cus_1"}))
    assert other.json == ignored.json == {"received": True, "applied": False}


# --- start-up ----------------------------------------------------------------------------------

PROD_WITHOUT_STRIPE = {"STAGE": "prod", "SECRET_KEY": "k" * 40, "BCRYPT_COST": "12",
                       "AWS_LAMBDA_FUNCTION_NAME": "kinlink-prod-api"}


def _clean_environment(**values: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("STRIPE_", "PAYMENT_PROCESSOR", "SECRET_KEY"))}
    return {**environment, **values}


def test_the_prod_stage_without_stripe_fails_at_the_lambdas_start_with_what_to_set():
    result = subprocess.run([sys.executable, "-c", "import app"], cwd=ROOT, capture_output=True,
                            text=True, env=_clean_environment(**PROD_WITHOUT_STRIPE), timeout=60)
    assert result.returncode != 0
    assert ("The prod stage takes card payments through Stripe: set STRIPE_SECRET_KEY_ARN (in "
            "AWS) or STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET_ARN (in AWS) or "
            "STRIPE_WEBHOOK_SECRET") in result.stderr
    configured = _clean_environment(**PROD_WITHOUT_STRIPE, STRIPE_SECRET_KEY_ARN="arn:x",
                                    STRIPE_WEBHOOK_SECRET_ARN="arn:y")
    check = "import app, sys; print('stripe' in sys.modules)"
    ok = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True,
                        env=configured, timeout=60)
    assert ok.returncode == 0 and ok.stdout.strip() == "False", ok.stderr


@pytest.mark.live
def test_make_run_on_the_prod_stage_without_stripe_stops_with_the_sentence():
    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(str(probe.getsockname()[1]))
    environment = _clean_environment(STAGE="prod", BCRYPT_COST="12", MOTO_PORT=ports[0],
                                     API_PORT=ports[1])
    environment.pop("AWS_ENDPOINT_URL", None)
    result = subprocess.run([sys.executable, "scripts/devserver.py"], cwd=ROOT, text=True,
                            capture_output=True, env=environment, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("Cannot start: The prod stage takes card payments through "
                                    "Stripe: set STRIPE_SECRET_KEY_ARN"), result.stderr


def test_a_stage_without_a_webhook_secret_accepts_no_event(api):
    """The test processor's stage has no secret: an HMAC with an empty key proves nothing."""
    body = event("charge.dispute.created", dispute("pi_x", 100))
    response = send(api, body, secret="")
    assert (response.status_code, response.json["code"]) == (400, "invalid_signature")
    assert list(ProcessorEvent.scan()) == []


# --- the template ------------------------------------------------------------------------------

def test_stripes_secrets_are_kept_and_only_the_api_and_the_card_jobs_may_read_them(template):
    """The API and the jobs that move card money (settlement, visit refunds, idle calling
    balances refunded) read the key; only the API reads the webhook secret; nothing else."""
    from tests.test_security_review_hardening import _allowed, _policy_of

    resources = template["Resources"]
    arns = {}
    for logical_id, name in (("StripeSecretKey", "stripe-secret-key"),
                             ("StripeWebhookSecret", "stripe-webhook-secret")):
        secret = resources[logical_id]
        assert (secret["DeletionPolicy"], secret["UpdateReplacePolicy"]) == ("Retain", "Retain")
        assert "put-secret-value" in secret["Properties"]["SecretString"]
        arns[logical_id] = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:kinlink-prod/{name}-AbCdEf"
    functions = [n for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"]
    for function in functions:
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables["STRIPE_SECRET_KEY_ARN"] == {"Ref": "StripeSecretKey"}
        assert variables["STRIPE_WEBHOOK_SECRET_ARN"] == {"Ref": "StripeWebhookSecret"}
        readable = {name for name, arn in arns.items()
                    if _allowed(_policy_of(template, function), "secretsmanager:GetSecretValue",
                                arn)}
        # RecordVideoEvents ends a visit nobody connected to, and refunds its card.
        card_jobs = ("SettleCardPayments", "RunVisitJobs", "RefundIdleCallingBalances",
                     "RecordVideoEvents")
        expected = set(arns) if function == "APIHandler" else \
            {"StripeSecretKey"} if function in card_jobs else set()
        assert readable == expected, function


def test_the_settlement_jobs_role_allows_every_call_it_makes(template, api, family, fake,
                                                             monkeypatch):
    from tests.test_security_review_hardening import _allowed, _policy_of, record_iam_requests

    _, token = family
    refunded = pay(api, token).json
    fake.refund_status = "pending"
    api.post(f"/v1/staff/deposits/{refunded['deposit_id']}/refund", {"reason": "x"},
             token=staff_token(api, "demo-county"))
    fake.fail_captures(1)
    assert pay(api, token).status_code == 201
    for refund in fake.refunds.values():
        refund["status"] = "succeeded"
    calls = record_iam_requests(monkeypatch)
    clock.advance(61)
    assert settlement.reconcile() == {"captured": 1, "refunds_settled": 1, "still_pending": 0,
                                      **NO_CALLING_REFUNDS}
    policy = _policy_of(template, "SettleCardPayments")
    assert calls and sorted({c for c in calls if not _allowed(policy, *c)}) == []


def test_keys_come_from_secrets_manager_once_and_a_placeholder_is_a_503(api, family, fake,
                                                                        monkeypatch):
    """In AWS the key is read from Secrets Manager on first use and kept; the stack's
    placeholder answers 503 (nothing recorded) and is read again once the operator put it."""
    from chalicelib.core import aws
    from chalicelib.core.secrets import stored_secret

    _, token = family
    secrets = aws.client("secretsmanager")
    arn = secrets.create_secret(Name="kinlink-test/stripe-secret-key",
                                SecretString="not set yet: aws secretsmanager ...")["ARN"]
    use_stripe(monkeypatch, fake.url, STRIPE_SECRET_KEY="", STRIPE_SECRET_KEY_ARN=arn)
    stored_secret.cache_clear()
    waiting = pay(api, token)
    assert (waiting.status_code, waiting.json["code"]) == (503, "processor_unavailable")
    assert list(Deposit.scan()) == [] and fake.intents == {}
    secrets.put_secret_value(SecretId=arn, SecretString=API_KEY)  # no restart needed
    assert pay(api, token).status_code == 201 and pay(api, token).status_code == 201
    # The placeholder was dropped from the cache (which clears its counts): one read since.
    assert stored_secret.cache_info().misses == 1, "the key is read once"
