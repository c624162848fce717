"""A calling balance refund the card processor cannot take now is tried again by the settlement
job, backing off; one the card network refuses for good stays the family's and the family is
offered another way (api.md "Calls": "stays the family's (refund_pending) and is offered another
way; money is never forfeited")."""
from __future__ import annotations

import html

from chalicelib.accounts.store import Account
from chalicelib.core import clock
from chalicelib.facilities.seed import DEMO_FACILITY_ID
from chalicelib.payments import calling, settlement
from chalicelib.payments.audit import audit
from chalicelib.payments.calling import CallingRefund, Owed
from chalicelib.payments.processor import CardRefundResult, ProcessorRefused, ProcessorUnavailable
from tests.conftest import sent_emails
from tests.money_fixtures import card  # noqa: F401  (fixture)
from tests.test_calls import FAMILY, family_balance, fund, line  # noqa: F401  (fixture)
from tests.test_notification_links import URL, _as_regex, documented_patterns, where_it_leads

EMAIL = "refunds@example.com"


def with_account() -> None:
    Account(FAMILY, email=EMAIL, full_name="Rae Refund", password_hash="x",
            created_at=clock.iso(), password_changed_at=clock.iso()).save()


def refunds_sent(card) -> list[int]:
    return [cents for op, _id, cents in card.operations if op == "refund"]


def test_a_refund_the_processor_cannot_take_now_is_sent_by_the_job_later(line, card, monkeypatch):
    fund(1000)
    newer = fund(500)
    real = card.refund
    outage = {"left": 2}  # the newer deposit's card refund fails twice, then goes through

    def flaky(authorization_id, cents, reference):
        if reference.endswith(newer["deposit_id"]) and outage["left"]:
            outage["left"] -= 1
            raise ProcessorUnavailable()
        return real(authorization_id, cents, reference)

    monkeypatch.setattr(card, "refund", flaky)
    answer = calling.refund_balance(FAMILY, DEMO_FACILITY_ID, "requested")
    assert answer["status"] == "refund_pending" and family_balance() == 0
    assert refunds_sent(card) == [1000]  # the part that could go, went
    record = CallingRefund.get(answer["refund_id"])
    assert record.owed == Owed.RETRY and int(record.attempts) == 1
    assert settlement.reconcile()["calling_refunds_sent"] == 0, "not due before its minute"
    clock.advance(61)
    done = settlement.reconcile()
    assert done["calling_refunds_still_owed"] == 1  # the second failure: waits 2 minutes now
    assert CallingRefund.get(answer["refund_id"]).retry_at == clock.iso(clock.now() + 120)
    clock.advance(121)
    assert settlement.reconcile()["calling_refunds_sent"] == 1
    record = CallingRefund.get(answer["refund_id"])
    assert record.status == "sent" and record.owed is None and record.retry_at is None
    assert refunds_sent(card) == [1000, 500], "each part sent once, never twice"
    clock.advance(6 * 3600)
    assert settlement.reconcile()["calling_refunds_sent"] == 0
    assert calling.owed_refunds() == [] and audit().ok


def test_a_refund_the_card_refuses_stays_owed_and_the_family_is_offered_another_way(
        line, card, monkeypatch):
    with_account()
    fund(700)
    monkeypatch.setattr(card, "refund", lambda *args, **kwargs: CardRefundResult("re_x", "failed"))
    answer = calling.refund_balance(FAMILY, DEMO_FACILITY_ID, "requested")
    assert answer["status"] == "refund_pending"
    record = CallingRefund.get(answer["refund_id"])
    assert record.owed == Owed.ANOTHER_WAY
    [offer] = [m for m in sent_emails(EMAIL) if "still yours" in m.subject]
    assert "$7.00" in offer.subject and "support ticket" in offer.body
    [link] = {html.unescape(url) for url in URL.findall(offer.body)}
    assert where_it_leads(link) == "app" and link.endswith("#/support")
    assert any(_as_regex(pattern).match(link) for pattern in documented_patterns())
    clock.advance(7 * 24 * 3600)
    assert settlement.reconcile()["calling_refunds_still_owed"] == 0, "left for a person"
    assert len([m for m in sent_emails(EMAIL) if "still yours" in m.subject]) == 1
    [owed] = calling.owed_refunds()
    assert owed.refund_id == answer["refund_id"] and int(owed.amount_cents) == 700


def test_a_processor_refusal_is_for_good_and_the_spanish_offer_reads_spanish(line, card,
                                                                             monkeypatch):
    with_account()
    Account(FAMILY).update(actions=[Account.language.set("es")])
    fund(300)

    def refused(*args, **kwargs):
        raise ProcessorRefused("charge expired")

    monkeypatch.setattr(card, "refund", refused)
    calling.refund_balance(FAMILY, DEMO_FACILITY_ID, "requested")
    [offer] = sent_emails(EMAIL)[-1:]
    assert "sigue siendo suyo" in offer.subject and "solicitud de ayuda" in offer.body
    assert [r.owed for r in calling.owed_refunds()] == [Owed.ANOTHER_WAY]


def test_the_settlement_jobs_role_allows_the_retries_and_the_offer(template, line, card,
                                                                   monkeypatch):
    from tests.test_security_review_hardening import _allowed, _policy_of, record_iam_requests

    with_account()
    fund(400)
    monkeypatch.setattr(card, "refund", lambda *a, **k: (_ for _ in ()).throw(
        ProcessorUnavailable()))
    calling.refund_balance(FAMILY, DEMO_FACILITY_ID, "requested")
    monkeypatch.setattr(card, "refund", lambda *a, **k: CardRefundResult("re_x", "failed"))
    calls = record_iam_requests(monkeypatch)
    clock.advance(61)
    assert settlement.reconcile()["calling_refunds_still_owed"] == 1  # refused: offered
    assert [m for m in sent_emails(EMAIL) if "still yours" in m.subject]
    policy = _policy_of(template, "SettleCardPayments")
    assert calls and sorted({c for c in calls if not _allowed(policy, *c)}) == []
