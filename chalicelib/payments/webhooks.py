"""Stripe's webhook events (``POST /v1/webhooks/stripe``): refunds and disputes.
The ``Stripe-Signature`` header is checked with Stripe's scheme before the body is read (an
HMAC-SHA256 of ``t.payload`` with the endpoint's secret, 5 minutes of tolerance).  Each event
is applied in one transaction with its ``ProcessorEvent`` record (``does_not_exist``), so a
replayed event changes nothing.  A dispute never touches the inmate's account: the money the
network took back waits in the facility's ``disputed`` account; won, it returns to card
clearing; lost, it is the facility's card loss.
Why: docs/decisions/stripe.md
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from pynamodb.transactions import TransactWrite

from chalicelib.core import clock
from chalicelib.core.errors import InvalidRequest
from chalicelib.core.i18n import _
from chalicelib.core.logs import log_event
from chalicelib.core.store import get_or_none, write_together, written
from chalicelib.payments import deposits, ledger, settlement
from chalicelib.payments.processor import CardRefundResult, ProcessorUnavailable
from chalicelib.payments.states import CardRefund, DepositStatus, DisputeStatus
from chalicelib.payments.store import CardPayment, Deposit, ProcessorEvent
from chalicelib.payments.stripe_processor import webhook_secret

SIGNATURE_TOLERANCE_SECONDS = 300
EVENTS_KEPT_SECONDS = 30 * 24 * 60 * 60
MAX_EVENT_BYTES = 256 * 1024


def verified_event(payload: bytes, signature: str | None) -> dict:
    """The event, if ``signature`` is Stripe's for ``payload``; else 400 ``invalid_signature``."""
    import stripe

    try:
        if len(payload) > MAX_EVENT_BYTES:
            raise ValueError("too large")
        text, secret = payload.decode("utf-8"), webhook_secret()
        stripe.WebhookSignature.verify_header(text, signature or "", secret,
                                              tolerance=SIGNATURE_TOLERANCE_SECONDS)
        event = json.loads(text)
        if not isinstance(event, dict) or not isinstance(event.get("id"), str):
            raise ValueError("not an event")
    except (stripe.SignatureVerificationError, ValueError, ProcessorUnavailable):
        log_event("webhook_refused", logging.WARNING)
        raise InvalidRequest(_("This request does not carry a valid Stripe signature."),
                             code="invalid_signature") from None
    return event


def receive(payload: bytes, signature: str | None) -> dict:
    """Apply one verified event; events of other types, or about payments that are not ours,
    are acknowledged and ignored (Stripe stops sending them again)."""
    event = verified_event(payload, signature)
    handler = HANDLERS.get(str(event.get("type")))
    data = event.get("data")
    found = data.get("object") if isinstance(data, dict) else None
    found = found if isinstance(found, dict) else {}
    payment = None
    if handler is not None and isinstance(found.get("payment_intent"), str):
        payment = get_or_none(CardPayment, found["payment_intent"])
    applied = False
    if payment is not None:
        applied = handler(Event(event["id"], event["type"], found, payment))
    log_event("webhook_received", event_type=str(event.get("type")), applied=applied)
    return {"received": True, "applied": applied}


class Event:
    def __init__(self, event_id: str, kind: str, data: dict, payment: CardPayment) -> None:
        self.event_id, self.kind, self.data, self.payment = event_id, kind, data, payment
        self.now = clock.iso()

    def record_in(self, transaction: TransactWrite) -> None:
        record = ProcessorEvent(self.event_id, kind=self.kind, payment_id=self.payment.payment_id,
                                received_at=self.now)
        record.ttl = datetime.fromtimestamp(clock.now() + EVENTS_KEPT_SECONDS, tz=UTC)
        transaction.save(record, condition=ProcessorEvent.event_id.does_not_exist())

    def apply(self, fill: Callable[[TransactWrite], None]) -> bool:
        """``fill`` and the event's record, all or nothing; False when already applied."""
        def write(transaction: TransactWrite) -> None:
            self.record_in(transaction)
            fill(transaction)

        return written(lambda: write_together(write))

    def deposit(self) -> Deposit | None:
        if self.payment.kind != "deposit":
            return None
        return get_or_none(Deposit, self.payment.journal_id)


def dispute_created(event: Event) -> bool:
    amount, facility = int(event.data.get("amount") or 0), event.payment.facility_id

    def fill(transaction: TransactWrite) -> None:
        _set_dispute(transaction, event, DisputeStatus.OPEN,
                     CardPayment.dispute.does_not_exist(),
                     CardPayment.dispute_id.set(event.data.get("id")),
                     CardPayment.dispute_cents.set(amount))
        journal = f"dsp_{event.event_id}"
        ledger.post(transaction, journal, "dispute", event.now, [
            ledger.Posting(ledger.card_clearing(facility, journal, event.now), amount),
            ledger.Posting(ledger.disputed(facility, journal, event.now), -amount),
        ], memo=f"dispute on {event.payment.journal_id}")

    return event.apply(fill)


def dispute_closed(event: Event) -> bool:
    """Won (or an inquiry closed): the money comes back.  Lost: a house loss.  A close that
    arrives before its ``created`` event posts both steps at once."""
    won = event.data.get("status") in ("won", "warning_closed")
    facility, was_open = event.payment.facility_id, event.payment.dispute == DisputeStatus.OPEN
    amount = int(event.payment.dispute_cents or 0) if was_open else int(event.data.get("amount") or 0)
    journal = f"dsp_{event.event_id}"
    house = (facility, journal, event.now)
    source = ledger.disputed(*house) if was_open else ledger.card_clearing(*house)
    postings = [] if won and not was_open else [
        ledger.Posting(source, amount),
        ledger.Posting(ledger.card_clearing(*house) if won else ledger.card_losses(*house),
                       -amount)]

    def fill(transaction: TransactWrite) -> None:
        _set_dispute(transaction, event, DisputeStatus.WON if won else DisputeStatus.LOST,
                     (CardPayment.dispute == DisputeStatus.OPEN) if was_open
                     else CardPayment.dispute.does_not_exist(),
                     CardPayment.dispute_id.set(event.data.get("id")),
                     CardPayment.dispute_cents.set(amount))
        if postings:
            ledger.post(transaction, journal, "dispute_won" if won else "dispute_lost",
                        event.now, postings,
                        memo=f"dispute on {event.payment.journal_id} closed")

    return event.apply(fill)


def refund_updated(event: Event) -> bool:
    """A refund we asked for, confirmed or failed (``refund.updated`` and friends)."""
    found = event.deposit()
    status = event.data.get("status")
    if (found is None or found.card_refund != CardRefund.PENDING
            or status not in ("succeeded", "failed", "canceled")):
        return False
    result = CardRefundResult(event.data.get("id", ""), "succeeded" if status == "succeeded"
                              else "failed")
    return settlement.record_refund(found, result, also=event.record_in).card_refund != \
        CardRefund.PENDING


def charge_refunded(event: Event) -> bool:
    """``charge.refunded`` carries the charge's refunded total.  Our own refund is confirmed;
    money refunded in Stripe's dashboard is posted here: a whole deposit still in the inmate's
    account is reversed as a staff refund would be, anything else is a house loss."""
    found = event.deposit()
    refunded = int(event.data.get("amount_refunded") or 0)
    if found is not None and found.status == DepositStatus.REFUNDED:
        if found.card_refund != CardRefund.PENDING:
            return False
        return settlement.record_refund(found, CardRefundResult("", "succeeded"),
                                        also=event.record_in).card_refund == CardRefund.SENT
    refunded -= int(event.payment.refunded_cents or 0)  # our own stamp refunds are not outside
    already = int(event.payment.outside_refund_cents or 0)
    new = refunded - already
    if new <= 0:
        return False
    track = CardPayment.outside_refund_cents.set(refunded)
    unchanged = (CardPayment.outside_refund_cents.does_not_exist() if already == 0
                 else CardPayment.outside_refund_cents == already)
    journal = f"orf_{event.event_id}"
    if found is not None and new == int(found.total_cents) and already == 0:
        def reverse(transaction: TransactWrite) -> None:
            deposits.reverse_in(transaction, found, journal, event.now, "stripe",
                                "refunded in the processor's dashboard", CardRefund.SENT)
            transaction.update(CardPayment(event.payment.payment_id), actions=[track],
                               condition=unchanged)

        if event.apply(reverse):
            return True
    facility = event.payment.facility_id

    def loss(transaction: TransactWrite) -> None:
        transaction.update(CardPayment(event.payment.payment_id), actions=[track],
                           condition=unchanged)
        ledger.post(transaction, journal, "outside_refund", event.now, [
            ledger.Posting(ledger.card_clearing(facility, journal, event.now), new),
            ledger.Posting(ledger.card_losses(facility, journal, event.now), -new),
        ], memo=f"refunded outside the API: {event.payment.journal_id}")

    applied = event.apply(loss)
    if applied:
        log_event("outside_refund_posted_as_loss", logging.WARNING,
                  journal_id=event.payment.journal_id, amount_cents=new)
    return applied


def _set_dispute(transaction: TransactWrite, event: Event, state: DisputeStatus, condition,
                 *actions) -> None:
    transaction.update(CardPayment(event.payment.payment_id),
                       actions=[CardPayment.dispute.set(state), *actions], condition=condition)
    if event.payment.kind == "deposit":
        transaction.update(Deposit(event.payment.journal_id),
                           actions=[Deposit.dispute.set(state)],
                           condition=Deposit.deposit_id.exists())


HANDLERS: dict[str, Callable[[Event], bool]] = {
    "charge.dispute.created": dispute_created,
    "charge.dispute.closed": dispute_closed,
    "charge.refunded": charge_refunded,
    "refund.updated": refund_updated,
    "charge.refund.updated": refund_updated,
}
