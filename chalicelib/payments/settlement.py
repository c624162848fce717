"""What a card payment still owes the processor after our ledger committed, and the scheduled
job that finishes it.  A payment is written ``capture: pending`` in its own transaction and is
in the sparse ``by_unsettled`` index until the capture is confirmed; a deposit refund is there
from the refund transaction until the card refund succeeds.  The job Queries the index (no
Scan) and retries what is due, backing off; what the processor refuses for good moves to a
partition the job leaves alone and ``make audit`` lists.
Why: docs/decisions/stripe.md
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from pynamodb.transactions import TransactWrite

from chalicelib.core import clock, dependencies
from chalicelib.core.errors import DomainError
from chalicelib.core.logs import log_event
from chalicelib.core.store import get_or_none, write_together, written
from chalicelib.payments.processor import (Authorization, CardRefundResult, ProcessorRefused,
                                           processor)
from chalicelib.payments.states import CaptureStatus, CardRefund, Unsettled
from chalicelib.payments.store import CardPayment, Deposit

FIRST_RETRY_SECONDS = 60
LONGEST_WAIT_SECONDS = 6 * 60 * 60
BATCH = 50  # per partition and run; the next run takes the rest


def pending_capture(authorization: Authorization, journal_id: str, kind: str,
                    facility_id: str, now: str) -> CardPayment:
    """The record a charge's transaction saves: unsettled until the capture is confirmed."""
    return CardPayment(authorization.authorization_id, journal_id=journal_id, kind=kind,
                       facility_id=facility_id, amount_cents=authorization.amount_cents,
                       created_at=now, capture=CaptureStatus.PENDING,
                       unsettled=Unsettled.CAPTURE, retry_at=_later(0), attempts=0)


def capture(authorization: Authorization) -> bool:
    """Capture, then take the payment out of the index.  False (logged) when it must wait for
    the job: the processor failed, or marking it settled did."""
    try:
        processor().capture(authorization, reference=f"{authorization.authorization_id}:capture")
    except ProcessorRefused:
        _park(authorization.authorization_id, Unsettled.CAPTURE_REFUSED,
              CardPayment.capture.set(CaptureStatus.REFUSED))
        log_event("capture_refused", logging.ERROR, payment_id=authorization.authorization_id)
        return False
    except DomainError as error:
        log_event("capture_failed", logging.ERROR, payment_id=authorization.authorization_id,
                  error=error.code)
        return False
    return _settle(lambda: CardPayment(authorization.authorization_id).update(actions=[
        CardPayment.capture.set(CaptureStatus.CAPTURED), CardPayment.unsettled.remove(),
        CardPayment.retry_at.remove()]), authorization.authorization_id)


def refund_due_in(transaction: TransactWrite, found: Deposit, now: str) -> None:
    """Put a deposit's card refund in the index, in the transaction that reverses it."""
    transaction.update(CardPayment(found.authorization_id), actions=[
        CardPayment.journal_id.set(found.deposit_id), CardPayment.kind.set("deposit"),
        CardPayment.facility_id.set(found.facility_id),
        CardPayment.amount_cents.set(int(found.total_cents)),
        CardPayment.created_at.set(CardPayment.created_at | now),
        CardPayment.capture.set(CardPayment.capture | CaptureStatus.CAPTURED),
        CardPayment.unsettled.set(Unsettled.REFUND), CardPayment.retry_at.set(_later(0))])


def send_deposit_refund(found: Deposit) -> Deposit:
    """Send (or look up) the card refund of a reversed deposit under the deposit's reference,
    so repeating it never returns the money twice; returns the deposit as it now stands."""
    payment = get_or_none(CardPayment, found.authorization_id)
    card = processor()
    if payment is not None and payment.capture == CaptureStatus.PENDING:
        released = _release(found, payment)
        if released is not None:
            return released
    try:
        if payment is not None and payment.refund_id:
            result = card.refund_state(payment.refund_id)
        else:
            result = card.refund(found.authorization_id, int(found.total_cents),
                                 reference=f"{found.deposit_id}:refund")
    except DomainError as error:  # the ledger is already reversed; the job sends it later
        log_event("card_refund_failed", logging.ERROR, deposit_id=found.deposit_id,
                  error=error.code)
        _postpone(found.authorization_id)
        return found
    return record_refund(found, result)


def _release(found: Deposit, payment: CardPayment) -> Deposit | None:
    """A deposit reversed before its capture went through: cancel the authorization instead
    (nothing was taken, the hold goes).  ``None`` when it was captured meanwhile: refund it."""
    try:
        processor().void(Authorization(payment.payment_id, int(payment.amount_cents)),
                         reference=f"{payment.payment_id}:cancel")
    except ProcessorRefused:
        return None
    except DomainError as error:
        log_event("card_release_failed", logging.ERROR, deposit_id=found.deposit_id,
                  error=error.code)
        _postpone(found.authorization_id)
        return found
    return record_refund(found, CardRefundResult("", "succeeded"),
                         CardPayment.capture.set(CaptureStatus.VOIDED))


def record_refund(found: Deposit, result: CardRefundResult, *payment_actions,
                  also: Callable[[TransactWrite], None] | None = None) -> Deposit:
    """What the processor said about a deposit's refund (here or by webhook: ``also`` adds the
    event's record to the same transaction)."""
    if not result.settled:
        _postpone(found.authorization_id, CardPayment.refund_id.set(result.refund_id))
        return found
    state = CardRefund.SENT if result.status == "succeeded" else CardRefund.FAILED
    payment_actions = [*payment_actions, CardPayment.attempts.set(0)]
    if result.refund_id:
        payment_actions.append(CardPayment.refund_id.set(result.refund_id))
    if state == CardRefund.SENT:
        payment_actions += [CardPayment.unsettled.remove(), CardPayment.retry_at.remove()]
    else:
        payment_actions.append(CardPayment.unsettled.set(Unsettled.REFUND_FAILED))
        log_event("card_refund_refused", logging.ERROR, deposit_id=found.deposit_id)

    def write(transaction: TransactWrite) -> None:
        transaction.update(found, actions=[Deposit.card_refund.set(state)],
                           condition=Deposit.card_refund == CardRefund.PENDING)
        transaction.update(CardPayment(found.authorization_id), actions=payment_actions)
        if also is not None:
            also(transaction)

    if not written(lambda: write_together(write)):  # settled meanwhile (webhook or job)
        current = get_or_none(Deposit, found.deposit_id) or found
        if current.card_refund != CardRefund.PENDING:  # out of the index, if still in it
            written(lambda: CardPayment(found.authorization_id).update(
                actions=[CardPayment.unsettled.remove(), CardPayment.retry_at.remove()],
                condition=CardPayment.unsettled == Unsettled.REFUND))
        return current
    found.card_refund = state
    return found


def reconcile(limit: int = BATCH) -> dict[str, int]:
    """The scheduled job: retry the captures and refunds that are due (deposits', then calling
    balances').  One Query per partition (what is pending), one processor call and one write
    per item."""
    now = clock.iso()
    done = {"captured": 0, "refunds_settled": 0, "still_pending": 0}
    for item in CardPayment.by_unsettled.query(Unsettled.CAPTURE, CardPayment.retry_at <= now,
                                              limit=limit):
        settled = capture(Authorization(item.payment_id, int(item.amount_cents)))
        if settled:
            done["captured"] += 1
        else:
            _postpone(item.payment_id, when=CardPayment.unsettled == Unsettled.CAPTURE)
            done["still_pending"] += 1
    for item in CardPayment.by_unsettled.query(Unsettled.REFUND, CardPayment.retry_at <= now,
                                              limit=limit):
        deposit = get_or_none(Deposit, item.journal_id)
        if deposit is None or send_deposit_refund(deposit).card_refund == CardRefund.PENDING:
            done["still_pending"] += 1
        else:
            done["refunds_settled"] += 1
    from chalicelib.payments.calling import retry_owed_refunds  # calling builds on this module

    done.update(retry_owed_refunds(limit))
    log_event("card_payments_reconciled", **done)
    return done


def unsettled(limit: int = 100) -> list[CardPayment]:
    """Every payment still owing something, for ``make audit`` (Queries, one per partition)."""
    return [item for state in Unsettled
            for item in CardPayment.by_unsettled.query(state, limit=limit)]


def _park(payment_id: str, state: Unsettled, *actions) -> None:
    CardPayment(payment_id).update(actions=[CardPayment.unsettled.set(state), *actions])


def _postpone(payment_id: str, *actions, when=None) -> None:
    """Count an attempt and push the next one back: 1 minute, doubling, at most 6 hours
    (unless ``when`` no longer holds: the payment moved on meanwhile)."""
    payment = get_or_none(CardPayment, payment_id)
    attempts = int(payment.attempts or 0) + 1 if payment is not None else 1
    wait = min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), LONGEST_WAIT_SECONDS)
    written(lambda: CardPayment(payment_id).update(
        actions=[CardPayment.attempts.set(attempts), CardPayment.retry_at.set(_later(wait)),
                 *actions], condition=when))


def _settle(write, payment_id: str) -> bool:
    try:
        write()
    except Exception as error:  # the money moved; the job marks it settled on its next run
        if not dependencies.is_transient(error):
            raise
        log_event("settle_mark_failed", logging.ERROR, payment_id=payment_id,
                  **dependencies.describe(error))
        return False
    return True


def _later(seconds: float) -> str:
    return clock.iso(clock.now() + seconds)
