"""Deposits to an inmate's trust or phone account (docs/api.md "Deposits").
One ``TransactGetItems`` and one ``TransactWriteItems`` per deposit; the sender's day tally is
conditioned on the facility's cap, so concurrent deposits cannot together exceed it.  An abuse
rule flags a deposit, it never blocks it.  A refund reverses the whole deposit, fee included.
Why: docs/decisions/deposits.md
"""
from __future__ import annotations

import heapq
import itertools
import uuid

from pynamodb.transactions import TransactGet, TransactWrite

from chalicelib import facilities
from chalicelib.accounts import Account, record_activity_in
from chalicelib.core import clock
from chalicelib.core.errors import Conflict, NotFound, Unprocessable
from chalicelib.core.idempotency import Attempt, StoredResponse
from chalicelib.core.links import app_link
from chalicelib.core.identity import Client, Principal
from chalicelib.core.logs import log_event
from chalicelib.core.notify import notifier
from chalicelib.core.store import (decode_cursor, expiry_update_actions, get_or_none, page,
                                   read_together, resolved, write_together, written)
from chalicelib.core.i18n import _
from chalicelib.facilities import MoneyRules, money_rules_of
from chalicelib.payments import flags, ledger, settlement
from chalicelib.payments.charging import charge
from chalicelib.payments.processor import Authorization
from chalicelib.payments.states import CardRefund, DepositStatus
from chalicelib.payments.store import DailyTally, Deposit

OPERATION = "POST /v1/deposits"
TALLY_KEPT_SECONDS = 3 * 24 * 60 * 60  # well past the day, so late reads still see it
# A day tally keeps at most this many distinct members (issue 13, finding 5: an inmate paid by
# ~11,000 senders in a day outgrew DynamoDB's 400 KB item, and deposits to them failed).  The
# rules only ask whether the count passes a threshold, at most 1,000 (rulebook), so a full set
# already says "more than any threshold": its deposits are flagged, never refused.
TALLY_MEMBERS_KEPT = 1001


def new_journal_id(prefix: str) -> str:
    """Hex ids: one word to a regex, so no email ever shows a stray 6-digit run (see notify)."""
    return prefix + uuid.uuid4().hex


def quote(inmate_id: str, account: str, amount_cents: int) -> dict:
    """Two reads: the inmate, then its facility's rules."""
    inmate = facilities.inmate(inmate_id)
    if inmate is None:
        raise NotFound(_("No such inmate."))
    rules = money_rules_of(facilities.facility(inmate.facility_id))
    _check_limits(rules, amount_cents, sender_total_today=0)
    fee = rules.fee_cents(account, amount_cents)
    return {"amount_cents": amount_cents, "fee_cents": fee, "total_cents": amount_cents + fee}


def deposit(sender: Principal, client: Client, key: str, body: dict) -> StoredResponse:
    sender_id, inmate_id = sender.account_id, body["inmate_id"]
    account, amount = body["account"], body["amount_cents"]
    attempt = Attempt(sender_id, key, OPERATION, body)
    today = clock.iso()[:10]
    sender_tally_key, inmate_tally_key = f"sender:{sender_id}:{today}", f"inmate:{inmate_id}:{today}"
    futures = {}

    def reads(snapshot: TransactGet) -> None:
        attempt.read_in(snapshot)
        futures.update(inmate=snapshot.get(facilities.Inmate, inmate_id),
                       sender=snapshot.get(Account, sender_id),
                       sender_day=snapshot.get(DailyTally, sender_tally_key),
                       inmate_day=snapshot.get(DailyTally, inmate_tally_key))

    read_together(reads)
    replay = attempt.previous()
    if replay is not None:
        return replay
    inmate = resolved(futures["inmate"])
    if inmate is None:
        raise NotFound(_("No such inmate."))
    sender_day = resolved(futures["sender_day"]) or DailyTally(sender_tally_key)
    inmate_day = resolved(futures["inmate_day"]) or DailyTally(inmate_tally_key)
    # The fee comes from the rules read here; the transaction checks they are still in force.
    facility = facilities.facility(inmate.facility_id, consistent=True)
    rules = money_rules_of(facility)
    _check_limits(rules, amount, sender_total_today=int(sender_day.total_cents or 0))

    fee = rules.fee_cents(account, amount)
    total = amount + fee
    deposit_id, now = new_journal_id("dep_"), clock.iso()
    day = flags.DayPicture(inmates_paid_by_sender=len((sender_day.members or set()) | {inmate_id}),
                           senders_paying_inmate=len((inmate_day.members or set()) | {sender_id}))
    rule_codes = flags.matching_rules(day, rules)
    response = {"deposit_id": deposit_id, "amount_cents": amount, "fee_cents": fee,
                "total_cents": total, "status": DepositStatus.COMPLETED, "created_at": now}
    tally_expiry = expiry_update_actions(DailyTally, clock.now() + TALLY_KEPT_SECONDS)

    def write(transaction: TransactWrite, authorization: Authorization) -> None:
        record = Deposit(deposit_id, sender_account_id=sender_id, created_key=f"{now}#{deposit_id}",
                         inmate_id=inmate_id, facility_id=inmate.facility_id, account=account,
                         amount_cents=amount, fee_cents=fee, total_cents=total,
                         status=DepositStatus.COMPLETED, created_at=now,
                         authorization_id=authorization.authorization_id)
        transaction.save(record, condition=Deposit.deposit_id.does_not_exist())
        if facility is not None:
            facilities.check_rules_unchanged(transaction, facility, deposit_id)
        ledger.post(transaction, deposit_id, "deposit", now, [
            ledger.Posting(ledger.card_clearing(inmate.facility_id, deposit_id, now), -total),
            ledger.Posting(ledger.inmate_account(inmate_id, account), amount),
            ledger.Posting(ledger.fee_revenue(inmate.facility_id, deposit_id, now), fee),
        ], memo=f"deposit by {sender_id}")
        transaction.update(DailyTally(sender_tally_key),
                           actions=[DailyTally.total_cents.add(amount),
                                    *_member_added(sender_day, inmate_id), *tally_expiry],
                           condition=(DailyTally.total_cents.does_not_exist()
                                      | (DailyTally.total_cents <= rules.daily_cap_cents - amount)))
        transaction.update(DailyTally(inmate_tally_key),
                           actions=[*_member_added(inmate_day, sender_id), *tally_expiry])
        if rule_codes:
            transaction.save(flags.new_flag(inmate.facility_id, deposit_id, inmate_id, sender_id,
                                            amount, rule_codes, day, now))
        record_activity_in(transaction, sender_id, "deposit_completed", client,
                           deposit_id=deposit_id, inmate_id=inmate_id, account=account,
                           amount_cents=amount, fee_cents=fee)

    stored = charge(attempt, body["payment_method_token"], total, deposit_id, "deposit",
                    inmate.facility_id, write, response,
                    refusal=lambda: _refusal(rules, facility))
    if not stored.replayed:
        log_event("deposit_completed", deposit_id=deposit_id, amount_cents=amount,
                  flagged=bool(rule_codes))
        _send_receipt(resolved(futures["sender"]), inmate, account, response,
                      facility.timezone if facility else None)
    return stored


def _member_added(tally: DailyTally, member: str) -> list:
    """Add ``member`` to the tally's set unless it is full (``TALLY_MEMBERS_KEPT``); concurrent
    deposits may pass the bound by a few, never by a day's worth."""
    members = tally.members or set()
    return [DailyTally.members.add({member})] \
        if member in members or len(members) < TALLY_MEMBERS_KEPT else []


def list_own(sender: Principal, limit: int, cursor: str | None) -> dict:
    scope = f"deposits:{sender.account_id}"
    results = Deposit.by_sender.query(sender.account_id, scan_index_forward=False, limit=limit,
                                      last_evaluated_key=decode_cursor(cursor, scope))
    return page(results, scope, render)


def get_own(sender: Principal, deposit_id: str) -> dict:
    found = get_or_none(Deposit, deposit_id)
    if found is None or found.sender_account_id != sender.account_id:
        raise NotFound(_("No such deposit."))  # someone else's deposit does not exist for you
    return render(found)


def deposit_by_id(deposit_id: str) -> Deposit | None:
    """A deposit as stored, or None (support checks who sent it and where)."""
    return get_or_none(Deposit, deposit_id)


def refund(staff: Principal, deposit_id: str, reason: str) -> dict:
    """Reverse a deposit once: the ledger reversal is one transaction conditioned on the deposit
    still being ``completed``; then the card refund is sent under the deposit's reference, so
    repeating it after a processor outage (the deposit shows ``card_refund: pending``, staff post
    again) cannot return the money twice.  A deposit whose money the inmate already spent is
    refused (409 ``insufficient_balance``): inmate accounts never go negative."""
    found = _staff_deposit(staff, deposit_id)
    if found.status == DepositStatus.REFUNDED:
        if found.card_refund != CardRefund.PENDING:
            raise Conflict(_("This deposit was already refunded."), code="already_refunded")
        return _send_card_refund(found)
    now = clock.iso()
    refund_id = new_journal_id("rfd_")

    def write(transaction: TransactWrite) -> None:
        reverse_in(transaction, found, refund_id, now, staff.account_id, reason,
                   CardRefund.PENDING)
        settlement.refund_due_in(transaction, found, now)

    if not written(lambda: write_together(write)):
        current = get_or_none(Deposit, deposit_id)
        if current is not None and current.status == DepositStatus.REFUNDED:
            raise Conflict(_("This deposit was already refunded."), code="already_refunded") from None
        raise Conflict(_("The inmate's account no longer holds this money, so it cannot be "
                         "refunded."), code="insufficient_balance") from None
    log_event("deposit_refunded", deposit_id=deposit_id, refund_id=refund_id)
    found.status, found.refunded_at, found.refunded_by = DepositStatus.REFUNDED, now, staff.account_id
    found.refund_reason, found.card_refund = reason, CardRefund.PENDING
    return _send_card_refund(found)


def reverse_in(transaction: TransactWrite, found: Deposit, journal_id: str, now: str, by: str,
               reason: str, card_refund: CardRefund) -> None:
    """The reversal of a whole deposit, fee included, once (conditioned on ``completed``; the
    inmate's balance must still hold the amount)."""
    amount, fee, total = int(found.amount_cents), int(found.fee_cents), int(found.total_cents)
    transaction.update(found, actions=[Deposit.status.set(DepositStatus.REFUNDED),
                                       Deposit.refunded_at.set(now), Deposit.refunded_by.set(by),
                                       Deposit.refund_reason.set(reason),
                                       Deposit.card_refund.set(card_refund)],
                       condition=Deposit.status == DepositStatus.COMPLETED)
    ledger.post(transaction, journal_id, "refund", now, [
        ledger.Posting(ledger.inmate_account(found.inmate_id, found.account), -amount),
        ledger.Posting(ledger.fee_revenue(found.facility_id, journal_id, now), -fee),
        ledger.Posting(ledger.card_clearing(found.facility_id, journal_id, now), total),
    ], memo=f"refund of {found.deposit_id}")
    record_activity_in(transaction, found.sender_account_id, "deposit_refunded",
                       deposit_id=found.deposit_id, amount_cents=amount, fee_cents=fee)


def inmate_balance(staff: Principal, inmate_id: str, recent: int = 20) -> dict:
    inmate = facilities.inmate(inmate_id)
    if inmate is None or inmate.facility_id != staff.facility_id:
        raise NotFound(_("No such inmate at your facility."))
    accounts = {name: ledger.inmate_account(inmate_id, name) for name in ("trust", "phone")}
    entries = heapq.merge(*(ledger.newest_entries(account, recent) for account in accounts.values()),
                          key=lambda entry: entry.entry_key, reverse=True)
    return {
        "inmate_id": inmate_id, "facility_id": inmate.facility_id,
        "balances": {f"{name}_cents": ledger.balance_of(account) for name, account in accounts.items()},
        "recent_entries": [{"account": entry.account.rsplit(":", 1)[1], "journal_id": entry.journal_id,
                            "kind": entry.kind, "amount_cents": int(entry.amount_cents),
                            "at": entry.at, "memo": entry.memo}
                           for entry in itertools.islice(entries, recent)],
    }


def render(found: Deposit) -> dict:
    return {"deposit_id": found.deposit_id, "inmate_id": found.inmate_id,
            "facility_id": found.facility_id, "account": found.account,
            "amount_cents": int(found.amount_cents), "fee_cents": int(found.fee_cents),
            "total_cents": int(found.total_cents), "status": found.status,
            "created_at": found.created_at, "refunded_at": found.refunded_at,
            "card_refund": found.card_refund, "dispute": found.dispute}


def _staff_deposit(staff: Principal, deposit_id: str) -> Deposit:
    found = get_or_none(Deposit, deposit_id)
    # A calling deposit is the family's money, refunded by the family (POST /v1/calling/.../refund).
    if found is None or found.facility_id != staff.facility_id or found.inmate_id is None:
        raise NotFound(_("No such deposit at your facility."))
    return found


def _send_card_refund(found: Deposit) -> dict:
    return render(settlement.send_deposit_refund(found))


def _check_limits(rules: MoneyRules, amount_cents: int, sender_total_today: int) -> None:
    problem = rules.limit_problem(amount_cents, sender_total_today)
    if problem is not None:
        raise Unprocessable(problem, code="limit_exceeded")


def _refusal(rules: MoneyRules, facility: facilities.Facility | None):
    """Why the deposit's transaction was refused: new rules, else the day's cap."""
    if facility is not None:
        now = facilities.facility(facility.facility_id, consistent=True)
        if now is not None and int(now.rules_version or 0) != int(facility.rules_version or 0):
            return facilities.rules_changed()
    return _daily_cap_reached(rules)


def _daily_cap_reached(rules: MoneyRules) -> Unprocessable:
    return Unprocessable(rules.daily_cap_reached(), code="limit_exceeded")


def _send_receipt(sender: Account | None, inmate: facilities.Inmate, account: str,
                  response: dict, time_zone: str | None) -> None:
    """In the sender's language, amounts and time formatted for it and for the facility's
    ``time_zone`` (at delivery)."""
    if sender is None:
        return
    notifier().email(sender.email, "deposit_receipt", language=sender.language,
                     full_name=sender.full_name, inmate_name=inmate.full_name,
                     inmate_number=inmate.inmate_number, account=account,
                     amount_cents=response["amount_cents"], fee_cents=response["fee_cents"],
                     total_cents=response["total_cents"], deposit_id=response["deposit_id"],
                     created_at=response["created_at"], timezone=time_zone,
                     link=app_link("deposits", response["deposit_id"]))

