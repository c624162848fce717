"""What the money capability holds about a family account, for export, the refunds a deletion
owes first, and erasure (core.datarights).

Deposits, card payments, the ledger and review flags are money records: they name the account
only by its id and are kept.  Unused stamps are the family's money: before erasure each
facility's balance goes to zero in one transaction with its ledger journal (stamp sales back
to card clearing), and the card of each purchase those stamps came from, newest first, is
refunded what they cost (docs/shared domain facts: closing an account triggers a refund).
Why: docs/decisions/data-rights.md
"""
from __future__ import annotations

import logging

from pynamodb.transactions import TransactWrite

from chalicelib import facilities
from chalicelib.accounts import ActivityEvent
from chalicelib.core import clock, datarights
from chalicelib.core.datarights import Holding, Kept
from chalicelib.core.errors import DomainError
from chalicelib.core.i18n import N_
from chalicelib.core.logs import log_event
from chalicelib.core.store import write_together
from chalicelib.payments import calling, deposits, ledger, stamps
from chalicelib.payments.calling import CallingRefund, CallingWallet
from chalicelib.payments.house import HouseDay
from chalicelib.payments.ledger import LedgerBalance, LedgerEntry
from chalicelib.payments.processor import processor
from chalicelib.payments.stamps import StampBalance
from chalicelib.payments.store import (CardPayment, DailyTally, Deposit, ProcessorEvent,
                                       ReviewFlag)


def export(account_id: str) -> dict[str, list[dict]]:
    return {
        "deposits": [deposits.render(d) for d in Deposit.by_sender.query(account_id)],
        "stamp_balances": [{"facility_id": b.facility_id, "balance": int(b.balance)}
                           for b in stamps.balances(account_id)],
        "review_flags": [{"flag_id": f.flag_id, "deposit_id": f.deposit_id,
                          "status": f.status, "created_at": f.created_at}
                         for f in ReviewFlag.by_sender.query(account_id)],
    }


def refund_unused_stamps(account_id: str) -> dict[str, list[dict]]:
    """Every facility's unused stamps back to the cards that bought them (see the module)."""
    purchases = [event.detail.as_dict() for event in ActivityEvent.query(
        account_id, scan_index_forward=False,
        filter_condition=ActivityEvent.type == "stamps_purchased")]
    refunds = []
    for balance in stamps.balances(account_id):
        count = int(balance.balance)
        if count > 0:
            refunds.append(_refund_stamps(account_id, balance.facility_id, count, [
                p for p in purchases if p.get("facility_id") == balance.facility_id]))
    return {"stamp_refunds": refunds}


def _refund_stamps(account_id: str, facility_id: str, count: int, purchases: list[dict]) -> dict:
    cards, left = [], count
    for purchase in purchases:  # newest first: the unused stamps are the last ones bought
        quantity = int(purchase.get("quantity") or 0)
        take = min(left, quantity)
        if take and purchase.get("payment_id"):
            cards.append((purchase["payment_id"], take * int(purchase["total_cents"]) // quantity))
            left -= take
    facility = facilities.facility(facility_id)
    unpriced = left * int(getattr(facility, "stamp_price_cents", 0) or 0)  # bought before ids
    cents = sum(amount for _, amount in cards) + unpriced
    journal_id, now = deposits.new_journal_id("srf_"), clock.iso()

    def write(transaction: TransactWrite) -> None:
        transaction.update(StampBalance(account_id, facility_id),
                           actions=[StampBalance.balance.set(0)],
                           condition=StampBalance.balance == count)
        for payment_id, amount in cards:  # so the processor's webhook knows these are ours
            transaction.update(CardPayment(payment_id),
                               actions=[CardPayment.refunded_cents.add(amount)],
                               condition=CardPayment.payment_id.exists())
        if cents:
            ledger.post(transaction, journal_id, "stamp_refund", now, [
                ledger.Posting(ledger.stamp_sales(facility_id, journal_id, now), -cents),
                ledger.Posting(ledger.card_clearing(facility_id, journal_id, now), cents),
            ], memo=f"{count} unused stamps of {account_id}")

    write_together(write)
    sent = [_card_refund(journal_id, payment_id, amount) for payment_id, amount in cards]
    return {"facility_id": facility_id, "stamps": count, "amount_cents": cents,
            "journal_id": journal_id,
            "card_refund": "sent" if all(sent) and not unpriced else "pending"}


def _card_refund(journal_id: str, payment_id: str, cents: int) -> bool:
    try:
        processor().refund(payment_id, cents, reference=f"{journal_id}:{payment_id}:refund")
    except DomainError as error:  # the ledger owes it: support finishes it from the journal
        log_event("stamp_card_refund_failed", logging.ERROR, journal_id=journal_id,
                  error=error.code)
        return False
    return True


def erase(account_id: str) -> None:
    """Nothing personal to remove: money records name the account by its id only."""


def _export_calling(account_id: str) -> dict[str, list[dict]]:
    wallets = [{"facility_id": w.facility_id, "last_active_at": w.last_active_at}
               for w in CallingWallet.query(account_id)]
    refunds = [{"refund_id": r.refund_id, "facility_id": r.facility_id,
                "amount_cents": int(r.amount_cents), "status": r.status,
                "created_at": r.created_at}
               for r in CallingRefund.by_account.query(account_id)]
    return {"calling_balances": wallets, "calling_refunds": refunds}


def _refund_calling_balances(account_id: str) -> dict[str, list[dict]]:
    """Each facility's calling balance back to the cards that paid it, before erasure."""
    refunds = [calling.refund_balance(account_id, wallet.facility_id, "account_closed")
               for wallet in CallingWallet.query(account_id)]
    return {"calling_refunds": [refund for refund in refunds if refund["amount_cents"]]}


datarights.register(Holding(
    capability="calling_balance", models=(CallingWallet, CallingRefund), export=_export_calling,
    erase=erase, settle=_refund_calling_balances,
    kept=(Kept(N_("Calling balances and their refunds, by account id only"),
               N_("Records of money moved are kept for audits, disputes and the law; they hold "
                  "no email, name or phone."), 7 * 365),)))
datarights.register(Holding(
    capability="payments",
    models=(Deposit, CardPayment, ProcessorEvent, DailyTally, ReviewFlag, LedgerEntry,
            LedgerBalance, StampBalance, HouseDay),
    export=export, erase=erase, settle=refund_unused_stamps,
    kept=(Kept(N_("Deposits, stamp purchases, refunds and card payments, by account id only"),
               N_("Records of money moved are kept for audits, disputes and the law; they hold "
                  "no email, name or phone."), 7 * 365),
          Kept(N_("Daily deposit totals used for limits"),
               N_("They expire by themselves two days after the day they count."), None))))
