"""Paying for a video visit at booking, and giving the money back (docs/api.md "Visits").
A booking is one journal (card clearing -price, the facility's video-visit sales +price) named
by the visit id, committed with the visit itself (``pay_for_visit``); a refund is one journal
named ``<visit id>:refund`` that reverses all or part of it, in the transaction that changes the
visit (``refund_in``), conditioned on the charge so money never goes back twice.  The card
refund follows the commit under that journal's reference; a failed one stays ``pending`` and
the job (``settle_visit_refunds``) retries it.  The funding source is a parameter: a card, or
the family's calling balance at that facility (the journal takes it from that balance and a
refund puts it back there, nothing goes through the processor).
Why: docs/decisions/visits.md
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NamedTuple

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.core import clock
from chalicelib.core.errors import DomainError, PaymentRequired, Unprocessable
from chalicelib.core.i18n import _
from chalicelib.core.idempotency import Attempt, StoredResponse
from chalicelib.core.logs import log_event
from chalicelib.core.store import (BaseMeta, StoredModel, TableName, get_or_none, refused,
                                   register, write_together, written)
from chalicelib.payments import calling, ledger
from chalicelib.payments.charging import charge
from chalicelib.payments.processor import Authorization, processor
from chalicelib.payments.states import CardRefund

KIND = "video_visit"
CARD = "card"
CALLING_BALANCE = "calling_balance"


class InsufficientCallingBalance(PaymentRequired):
    code = "insufficient_balance"


class Funding(NamedTuple):
    """Where a visit's price comes from: ``card`` (a processor token) or ``calling_balance``."""
    source: str
    token: str | None = None


class VisitChargesToRefund(GlobalSecondaryIndex):
    """Sparse: charges whose card refund is still owed (``unsettled`` set)."""

    class Meta:
        index_name = "by_unsettled"
        projection = KeysOnlyProjection()

    unsettled = UnicodeAttribute(hash_key=True)


@register
class VisitCharge(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("visit-charges")

    visit_id = UnicodeAttribute(hash_key=True)
    facility_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    source = UnicodeAttribute()
    authorization_id = UnicodeAttribute(null=True)
    amount_cents = NumberAttribute()
    refunded_cents = NumberAttribute(default=0)
    charged_at = UnicodeAttribute()
    card_refund = UnicodeAttribute(null=True)  # CardRefund, once a refund journal committed
    unsettled = UnicodeAttribute(null=True)
    by_unsettled = VisitChargesToRefund()


def house_sales(facility_id: str, journal_id: str, at: str) -> str:
    return ledger.house_account("video_visit_sales", facility_id, journal_id, at)


def pay_for_visit(attempt: Attempt, funding: Funding, amount_cents: int, visit_id: str,
                  facility_id: str, account_id: str,
                  write: Callable[[TransactWrite], None], response: dict,
                  refusal: Callable[[], DomainError]) -> StoredResponse:
    """Charge ``amount_cents`` and commit ``write`` (the visit's own items), the journal and the
    charge record in one transaction, through the shared charge flow (authorize, commit,
    capture)."""
    if funding.source == CALLING_BALANCE:
        return _pay_from_calling_balance(attempt, amount_cents, visit_id, facility_id, account_id,
                                         write, response, refusal)
    if funding.source != CARD or not funding.token:
        raise Unprocessable(_("Pay for this visit by card: send payment_method_token."),
                            code="payment_method_required")
    now = clock.iso()

    def fill(transaction: TransactWrite, authorization: Authorization) -> None:
        ledger.post(transaction, visit_id, KIND, now, [
            ledger.Posting(ledger.card_clearing(facility_id, visit_id, now), -amount_cents),
            ledger.Posting(house_sales(facility_id, visit_id, now), amount_cents),
        ], memo=f"video visit for {account_id} ({authorization.authorization_id})")
        transaction.save(VisitCharge(visit_id, facility_id=facility_id, account_id=account_id,
                                     source=funding.source,
                                     authorization_id=authorization.authorization_id,
                                     amount_cents=amount_cents, charged_at=now),
                         condition=VisitCharge.visit_id.does_not_exist())
        write(transaction)

    return charge(attempt, funding.token, amount_cents, visit_id, KIND, facility_id, fill,
                  response, refusal)


def _pay_from_calling_balance(attempt: Attempt, amount_cents: int, visit_id: str,
                              facility_id: str, account_id: str,
                              write: Callable[[TransactWrite], None], response: dict,
                              refusal: Callable[[], DomainError]) -> StoredResponse:
    """One transaction: the idempotency record, the journal from the calling balance (its
    ledger condition refuses a balance that would go below zero), the charge, the visit."""
    now = clock.iso()
    stored: list[StoredResponse] = []

    def fill(transaction: TransactWrite) -> None:
        stored[:] = [attempt.record(transaction, 201, response)]
        calling.spend_in(transaction, account_id, facility_id, amount_cents, visit_id,
                         "video_visit_sales", now)
        transaction.save(VisitCharge(visit_id, facility_id=facility_id, account_id=account_id,
                                     source=CALLING_BALANCE, amount_cents=amount_cents,
                                     charged_at=now),
                         condition=VisitCharge.visit_id.does_not_exist())
        write(transaction)

    try:
        write_together(fill)
    except TransactWriteError as error:
        replay = attempt.previous()
        if replay is not None:
            return replay
        if not refused(error):
            raise
        if calling.available_cents(calling.calling_account(account_id, facility_id)) \
                < amount_cents:
            raise InsufficientCallingBalance(_(
                "Your calling balance at this facility does not cover this visit. Add money to "
                "it or pay by card.")) from None
        raise refusal() from None
    return stored[0]


def refund_in(transaction: TransactWrite, visit_id: str, facility_id: str,
              amount_cents: int, now: str) -> str:
    """Add the refund journal of ``amount_cents`` of the visit's charge to ``transaction``;
    it fails (a business answer) if the charge is gone or already refunded.  Money paid from
    the calling balance goes back to it at once; a card's is sent after the commit."""
    journal_id = f"{visit_id}:refund"
    found = get_or_none(VisitCharge, visit_id)  # its source never changes
    to_balance = found is not None and found.source == CALLING_BALANCE
    payer = (calling.calling_account(found.account_id, facility_id) if to_balance
             else ledger.card_clearing(facility_id, journal_id, now))
    ledger.post(transaction, journal_id, "refund", now, [
        ledger.Posting(house_sales(facility_id, journal_id, now), -amount_cents),
        ledger.Posting(payer, amount_cents),
    ], memo=f"refund of {visit_id}")
    actions = [VisitCharge.refunded_cents.add(amount_cents)]
    condition = VisitCharge.amount_cents >= amount_cents
    if to_balance:
        condition &= VisitCharge.refunded_cents == 0
    else:
        actions += [VisitCharge.card_refund.set(CardRefund.PENDING),
                    VisitCharge.unsettled.set("refund")]
        condition &= VisitCharge.card_refund.does_not_exist()
    transaction.update(VisitCharge(visit_id), actions=actions, condition=condition)
    return journal_id


def send_refund(visit_id: str) -> str | None:
    """Return the refunded money to the card (after ``refund_in`` committed); repeating it is
    harmless (one processor reference per refund).  The card refund's state, or None."""
    found = get_or_none(VisitCharge, visit_id)
    if found is None or found.card_refund != CardRefund.PENDING:
        return found.card_refund if found else None
    try:
        result = processor().refund(found.authorization_id, int(found.refunded_cents),
                                    reference=f"{visit_id}:refund")
    except DomainError as error:  # the ledger already gave it back; the job sends it later
        log_event("visit_refund_failed", logging.ERROR, visit_id=visit_id, error=error.code)
        return CardRefund.PENDING
    if not result.settled:
        return CardRefund.PENDING
    state = CardRefund.SENT if result.status == "succeeded" else CardRefund.FAILED
    actions = [VisitCharge.card_refund.set(state)]
    actions.append(VisitCharge.unsettled.remove() if state == CardRefund.SENT
                   else VisitCharge.unsettled.set("refund_failed"))
    written(lambda: found.update(actions=actions,
                                 condition=VisitCharge.card_refund == CardRefund.PENDING))
    return state


def settle_visit_refunds(limit: int = 50) -> int:
    """The job's part: retry the card refunds still owed (one Query, then one per refund)."""
    done = 0
    for item in VisitCharge.by_unsettled.query("refund", limit=limit):
        if send_refund(item.visit_id) != CardRefund.PENDING:
            done += 1
    return done


def charge_of(visit_id: str) -> VisitCharge | None:
    return get_or_none(VisitCharge, visit_id)


def export_charges(account_id: str, visit_ids: list[str]) -> list[dict]:
    """The charges of the account's visits (data rights export)."""
    return [{"visit_id": found.visit_id, "amount_cents": int(found.amount_cents),
             "refunded_cents": int(found.refunded_cents), "charged_at": found.charged_at,
             "card_refund": found.card_refund}
            for found in VisitCharge.batch_get(visit_ids) if found.account_id == account_id]
