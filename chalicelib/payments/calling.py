"""The family's prepaid calling balance, one per family account and facility (api.md "Calls and
the phone account"): funded by fee-free deposits, held for calls in progress, charged at call end,
refunded to the cards that paid it (newest deposit first), automatically after 180 idle days.

Ledger accounts: ``calling:<account>:<facility>`` (the balance), ``held:<payer>`` (what calls in
progress may still cost that payer), house ``call_revenue`` and ``agency_calls`` per facility.
Owned accounts never go negative (``ledger.post``), so a hold is what stops two calls at once
from overspending.  Why: docs/decisions/calls.md
"""
from __future__ import annotations

import logging
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.transactions import TransactGet, TransactWrite

from chalicelib import facilities
from chalicelib.accounts import Account, account_by_id, record_activity_in
from chalicelib.core import clock
from chalicelib.core.errors import Conflict, DomainError, NotFound, Unprocessable
from chalicelib.core.i18n import _
from chalicelib.core.idempotency import Attempt, StoredResponse
from chalicelib.core.identity import Client, Principal
from chalicelib.core.links import app_link
from chalicelib.core.logs import log_event
from chalicelib.core.notify import notifier
from chalicelib.core.store import (BaseMeta, StoredModel, TableName, expiry_update_actions,
                                   get_or_none, read_together, register, resolved,
                                   write_together, written)
from chalicelib.facilities import money_rules_of
from chalicelib.payments import ledger
from chalicelib.payments.charging import charge
from chalicelib.payments.deposits import TALLY_KEPT_SECONDS, new_journal_id
from chalicelib.payments.processor import Authorization, ProcessorRefused, processor
# A card refund the processor could not take is tried again as deposits' refunds are.
from chalicelib.payments.settlement import FIRST_RETRY_SECONDS, LONGEST_WAIT_SECONDS
from chalicelib.payments.states import CardRefund, DepositStatus
from chalicelib.payments.store import DailyTally, Deposit

OPERATION = "POST /v1/deposits"
CALLING = "calling"
# 47 CFR 64.6130: no disposal before 180 days without activity; warn twice before refunding.
IDLE_STEPS = ((150, "warn_150"), (173, "warn_173"), (180, "refund"))


def calling_account(account_id: str, facility_id: str) -> str:
    return f"calling:{account_id}:{facility_id}"


def held_account(payer_account: str) -> str:
    return f"held:{payer_account}"


def phone_account(inmate_id: str) -> str:
    return ledger.inmate_account(inmate_id, "phone")


def available_cents(payer_account: str) -> int:
    """The payer's balance as of now (a consistent read): what a new call may hold."""
    found = get_or_none(ledger.LedgerBalance, payer_account)
    return int(found.balance_cents) if found else 0


# --- the wallet (inactivity clock) -------------------------------------------------------------

class WalletsByActiveMonth(GlobalSecondaryIndex):
    """The wallets last active in a month (UTC): whom the monthly statement goes to."""

    class Meta:
        index_name = "by_active_month"
        projection = AllProjection()

    active_month = UnicodeAttribute(hash_key=True)
    wallet_key = UnicodeAttribute(range_key=True)


class WalletsByStepDay(GlobalSecondaryIndex):
    """The wallets whose next inactivity step (warning or refund) falls on a day: the job reads
    the days that came, so its cost follows the wallets due, not all wallets."""

    class Meta:
        index_name = "by_step_day"
        projection = AllProjection()

    step_day = UnicodeAttribute(hash_key=True)
    wallet_key = UnicodeAttribute(range_key=True)


@register
class CallingWallet(StoredModel):
    """One family's calling balance at one facility: when it was last active and the next
    step of the inactivity clock.  The money itself is in the ledger."""

    class Meta(BaseMeta):
        table_name = TableName("calling-wallets")

    account_id = UnicodeAttribute(hash_key=True)
    facility_id = UnicodeAttribute(range_key=True)
    wallet_key = UnicodeAttribute()  # "<account>#<facility>"
    last_active_at = UnicodeAttribute()
    step = UnicodeAttribute()  # IDLE_STEPS' names
    step_day = UnicodeAttribute()
    active_month = UnicodeAttribute(null=True)  # "YYYY-MM" of last_active_at
    by_step_day = WalletsByStepDay()
    by_active_month = WalletsByActiveMonth()


def touch_in(transaction: TransactWrite, account_id: str, facility_id: str, at: str) -> None:
    """Activity on the wallet (deposit, call): the inactivity clock starts again."""
    days, step = IDLE_STEPS[0]
    transaction.update(CallingWallet(account_id, facility_id), actions=[
        CallingWallet.wallet_key.set(f"{account_id}#{facility_id}"),
        CallingWallet.last_active_at.set(at), CallingWallet.step.set(step),
        CallingWallet.step_day.set(_day_after(at, days)), CallingWallet.active_month.set(at[:7])])


def wallets_active_in(month: str):
    """(account_id, facility_id) of the wallets last active in ``month`` (a Query)."""
    return [(w.account_id, w.facility_id) for w in CallingWallet.by_active_month.query(month)]


def _day_after(at: str, days: int) -> str:
    return (date.fromisoformat(at[:10]) + timedelta(days=days)).isoformat()


# --- deposits ------------------------------------------------------------------------------

def deposit(sender: Principal, client: Client, key: str, body: dict) -> StoredResponse:
    """``POST /v1/deposits {account: "calling", facility_id, ...}``: never a fee (the rules
    refuse one); the facility's bounds and the sender's day cap apply as to any deposit."""
    sender_id, facility_id, amount = sender.account_id, body["facility_id"], body["amount_cents"]
    attempt = Attempt(sender_id, key, OPERATION, body)
    tally_key = f"sender:{sender_id}:{clock.iso()[:10]}"
    futures = {}

    def reads(snapshot: TransactGet) -> None:
        attempt.read_in(snapshot)
        futures.update(facility=snapshot.get(facilities.Facility, facility_id),
                       sender=snapshot.get(Account, sender_id),
                       day=snapshot.get(DailyTally, tally_key))

    read_together(reads)
    replay = attempt.previous()
    if replay is not None:
        return replay
    facility = resolved(futures["facility"])
    if facility is None:
        raise NotFound(_("No such facility."))
    rules = money_rules_of(facility)
    sent_today = int((resolved(futures["day"]) or DailyTally(tally_key)).total_cents or 0)
    problem = rules.limit_problem(amount, sent_today)
    if problem is not None:
        raise Unprocessable(problem, code="limit_exceeded")
    deposit_id, now = new_journal_id("dep_"), clock.iso()
    response = {"deposit_id": deposit_id, "amount_cents": amount, "fee_cents": 0,
                "total_cents": amount, "status": DepositStatus.COMPLETED, "created_at": now}

    def write(transaction: TransactWrite, authorization: Authorization) -> None:
        transaction.save(Deposit(deposit_id, sender_account_id=sender_id,
                                 created_key=f"{clock.iso_precise()}#{deposit_id}",
                                 facility_id=facility_id,
                                 account=CALLING, amount_cents=amount, fee_cents=0,
                                 total_cents=amount, status=DepositStatus.COMPLETED,
                                 created_at=now, authorization_id=authorization.authorization_id),
                         condition=Deposit.deposit_id.does_not_exist())
        ledger.post(transaction, deposit_id, "deposit", now, [
            ledger.Posting(ledger.card_clearing(facility_id, deposit_id, now), -amount),
            ledger.Posting(calling_account(sender_id, facility_id), amount),
        ], memo=f"calling deposit by {sender_id}")
        transaction.update(DailyTally(tally_key), actions=[
            DailyTally.total_cents.add(amount),
            *expiry_update_actions(DailyTally, clock.now() + TALLY_KEPT_SECONDS)],
            condition=(DailyTally.total_cents.does_not_exist()
                       | (DailyTally.total_cents <= rules.daily_cap_cents - amount)))
        touch_in(transaction, sender_id, facility_id, now)
        record_activity_in(transaction, sender_id, "deposit_completed", client,
                           deposit_id=deposit_id, facility_id=facility_id, account=CALLING,
                           amount_cents=amount, fee_cents=0)

    stored = charge(attempt, body["payment_method_token"], amount, deposit_id, "deposit",
                    facility_id, write, response,
                    refusal=lambda: Unprocessable(rules.daily_cap_reached(), code="limit_exceeded"))
    if not stored.replayed:
        log_event("calling_deposit_completed", deposit_id=deposit_id, amount_cents=amount)
        sender = resolved(futures["sender"])
        if sender is not None:  # the receipt every deposit gets; the facility stands for the payee
            notifier().email(sender.email, "deposit_receipt", language=sender.language,
                             full_name=sender.full_name, inmate_name=facility.name,
                             inmate_number="", account=CALLING, amount_cents=amount,
                             fee_cents=0, total_cents=amount, deposit_id=deposit_id,
                             created_at=now, timezone=facility.timezone,
                             link=app_link("deposits", deposit_id))
    return stored


# --- holds and charges (the calls capability's services) ---------------------------------------

class Payer(NamedTuple):
    """Who pays a call: ``kind`` is family | inmate | agency; ``account`` the ledger account
    money is held from (empty for the agency, which is billed, not held)."""
    kind: str
    account: str
    account_id: str | None = None  # the family account, for the wallet's clock


def family_payer(account_id: str, facility_id: str) -> Payer:
    return Payer("family", calling_account(account_id, facility_id), account_id)


def inmate_payer(inmate_id: str) -> Payer:
    return Payer("inmate", phone_account(inmate_id))


AGENCY = Payer("agency", "")


def hold_in(transaction: TransactWrite, payer: Payer, call_id: str, cents: int, at: str) -> None:
    """Hold what a call may cost (the transaction fails when the payer's balance is short)."""
    if payer.kind == "agency" or cents == 0:
        return
    ledger.post(transaction, f"{call_id}:hold", "call_hold", at, [
        ledger.Posting(payer.account, -cents), ledger.Posting(held_account(payer.account), cents),
    ], memo=f"hold for call {call_id}")


def settle_in(transaction: TransactWrite, payer: Payer, call_id: str, facility_id: str,
              held_cents: int, charge_cents: int, at: str) -> None:
    """The call's one journal: the charge to the facility's house revenue, the rest of the hold
    back to the payer (an agency's calls go to its receivable instead)."""
    if charge_cents > held_cents and payer.kind != "agency":
        raise ValueError(f"call {call_id} charges {charge_cents} above its hold {held_cents}")
    revenue = ledger.house_account("call_revenue", facility_id, call_id, at)
    if payer.kind == "agency":
        postings = [ledger.Posting(ledger.house_account("agency_calls", facility_id, call_id, at),
                                   -charge_cents), ledger.Posting(revenue, charge_cents)]
    else:
        postings = [ledger.Posting(held_account(payer.account), -held_cents),
                    ledger.Posting(payer.account, held_cents - charge_cents),
                    ledger.Posting(revenue, charge_cents)]
    ledger.post(transaction, call_id, "call", at, postings, memo=f"call {call_id}")
    if payer.kind == "family" and payer.account_id:
        facility = payer.account.rsplit(":", 1)[1]
        touch_in(transaction, payer.account_id, facility, at)


def spend_in(transaction: TransactWrite, account_id: str, facility_id: str, cents: int,
             journal_id: str, revenue_kind: str, at: str) -> None:
    """Pay another service (a video visit, say) from the family's calling balance: one journal
    in the caller's transaction, which fails when the balance is short."""
    ledger.post(transaction, journal_id, revenue_kind, at, [
        ledger.Posting(calling_account(account_id, facility_id), -cents),
        ledger.Posting(ledger.house_account(revenue_kind, facility_id, journal_id, at), cents),
    ], memo=f"{revenue_kind} paid from the calling balance")
    touch_in(transaction, account_id, facility_id, at)


# --- refunds -------------------------------------------------------------------------------

class RefundsByAccount(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class RefundsOwed(GlobalSecondaryIndex):
    """Sparse: refunds with a card part still owed, by when to try again (``owed`` set)."""

    class Meta:
        index_name = "by_owed"
        projection = KeysOnlyProjection()

    owed = UnicodeAttribute(hash_key=True)  # Owed
    retry_at = UnicodeAttribute(range_key=True)


class Owed(StrEnum):
    """What a refund with a part not yet sent waits for: the job (``RETRY``), or a person after
    the card network refused it for good (``ANOTHER_WAY``: the family was offered another way)."""
    RETRY = "retry"
    ANOTHER_WAY = "another_way"


@register
class CallingRefund(StoredModel):
    """A refund of a whole calling balance, split over the deposits that paid it (newest first);
    ``refund_pending`` while a card refund is still owed (the money stays the family's)."""

    class Meta(BaseMeta):
        table_name = TableName("calling-refunds")

    refund_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    facility_id = UnicodeAttribute()
    amount_cents = NumberAttribute()
    reason = UnicodeAttribute()  # requested | inactive | released
    status = UnicodeAttribute()  # states.CardRefund (pending | sent | failed)
    created_at = UnicodeAttribute()
    parts = ListAttribute(of=MapAttribute, default=list)  # {deposit_id, payment_id, cents, state}
    by_account = RefundsByAccount()
    owed = UnicodeAttribute(null=True)  # Owed, while a part is not sent
    retry_at = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    by_owed = RefundsOwed()


REFUND_ATTEMPTS = 3  # a call or another refund moved the balance meanwhile: read it again


def refund_balance(account_id: str, facility_id: str, reason: str) -> dict:
    """Return the whole available balance to the cards that paid it, newest deposit first, at no
    cost: one transaction (ledger journal, each deposit's refunded part conditioned on what is
    left of it, the refund record), then one card refund per part."""
    for _attempt in range(REFUND_ATTEMPTS):
        record = _refund_record(account_id, facility_id, reason)
        if record is None:
            return {"refund_id": None, "amount_cents": 0, "status": "sent", "parts": []}
        if written(lambda record=record: write_together(
                lambda transaction: _write_refund(transaction, record))):
            log_event("calling_refund_made", refund_id=record.refund_id,
                      amount_cents=int(record.amount_cents), reason=reason)
            return _send_card_refunds(record)
    raise Conflict(_("The balance is changing right now (a call or another refund). Try again "
                     "in a moment."), code="balance_changing")


def _refund_record(account_id: str, facility_id: str, reason: str) -> CallingRefund | None:
    amount = available_cents(calling_account(account_id, facility_id))
    if amount <= 0:
        return None
    parts, left = [], amount
    for found in Deposit.by_sender.query(account_id, scan_index_forward=False):
        if left == 0:
            break
        refundable = int(found.amount_cents) - int(found.refunded_cents or 0)
        if found.account == CALLING and found.facility_id == facility_id and refundable > 0:
            cents = min(refundable, left)
            parts.append({"deposit_id": found.deposit_id, "payment_id": found.authorization_id,
                          "cents": cents, "taken": int(found.refunded_cents or 0),
                          "state": CardRefund.PENDING.value})
            left -= cents
    if left:  # every calling cent came from a deposit: a broken ledger, say so loudly
        raise ValueError(f"calling balance {account_id}/{facility_id} exceeds its deposits")
    return CallingRefund(new_journal_id("rfc_"), account_id=account_id, facility_id=facility_id,
                         amount_cents=amount, reason=reason, status=CardRefund.PENDING,
                         created_at=clock.iso(), parts=parts)


def _write_refund(transaction: TransactWrite, record: CallingRefund) -> None:
    now, amount = record.created_at, int(record.amount_cents)
    account = calling_account(record.account_id, record.facility_id)
    transaction.save(record, condition=CallingRefund.refund_id.does_not_exist())
    ledger.post(transaction, record.refund_id, "calling_refund", now, [
        ledger.Posting(account, -amount),
        ledger.Posting(ledger.card_clearing(record.facility_id, record.refund_id, now), amount),
    ], memo=f"calling balance refund ({record.reason})")
    for part in record.parts:
        taken = part["taken"]
        condition = (Deposit.refunded_cents.does_not_exist() if taken == 0
                     else Deposit.refunded_cents == taken)
        transaction.update(Deposit(part["deposit_id"]),
                           actions=[Deposit.refunded_cents.add(part["cents"])],
                           condition=condition)


def _send_card_refunds(record: CallingRefund) -> dict:
    """One card refund per part not yet sent, under its own reference (repeating never refunds
    twice).  A part the processor cannot take now stays ``pending`` and the job tries again
    (``by_owed``, backing off); one the card network refuses is ``failed``, and the family is
    offered another way.  Until every part is sent the refund shows ``refund_pending``: the
    money stays the family's."""
    states = [_send_part(record, part.as_dict() if isinstance(part, MapAttribute) else part)
              for part in record.parts]
    status = CardRefund.SENT if all(p["state"] == CardRefund.SENT for p in states) \
        else CardRefund.FAILED
    attempts = int(record.attempts or 0) + 1
    actions = [CallingRefund.parts.set(states), CallingRefund.status.set(status),
               CallingRefund.attempts.set(attempts)]
    refused_now = False
    if any(p["state"] == CardRefund.PENDING for p in states):
        wait = min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), LONGEST_WAIT_SECONDS)
        actions += [CallingRefund.owed.set(Owed.RETRY),
                    CallingRefund.retry_at.set(clock.iso(clock.now() + wait))]
    elif status == CardRefund.FAILED:
        refused_now = record.owed != Owed.ANOTHER_WAY
        actions += [CallingRefund.owed.set(Owed.ANOTHER_WAY),
                    CallingRefund.retry_at.set(record.created_at)]
    else:
        actions += [CallingRefund.owed.remove(), CallingRefund.retry_at.remove()]
    record.update(actions=actions)
    if refused_now:
        _offer_another_way(record, states)
    shown = "refund_pending" if status == CardRefund.FAILED else "sent"
    return {"refund_id": record.refund_id, "amount_cents": int(record.amount_cents),
            "status": shown,
            "parts": [{"deposit_id": p["deposit_id"], "amount_cents": int(p["cents"])}
                      for p in states]}


def _send_part(record: CallingRefund, part: dict) -> dict:
    if part["state"] != CardRefund.PENDING:  # sent, or refused for good: never sent again
        return part
    try:
        result = processor().refund(part["payment_id"], int(part["cents"]),
                                    reference=f"{record.refund_id}:{part['deposit_id']}")
    except DomainError as error:
        log_event("calling_card_refund_failed", logging.ERROR, refund_id=record.refund_id,
                  error=error.code)
        refused = isinstance(error, ProcessorRefused)
        return {**part, "state": (CardRefund.FAILED if refused else CardRefund.PENDING).value}
    return {**part, "state": (CardRefund.FAILED if result.status == "failed"
                              else CardRefund.SENT).value}


def _offer_another_way(record: CallingRefund, states: list[dict]) -> None:
    """The card network refused part of a refund for good: tell the family the money is still
    theirs and how to get it (a support ticket; staff pay it another way)."""
    account = account_by_id(record.account_id)
    refused = sum(int(p["cents"]) for p in states if p["state"] == CardRefund.FAILED)
    log_event("calling_refund_refused", logging.ERROR, refund_id=record.refund_id,
              amount_cents=refused)
    if account is not None:
        notifier().email(account.email, "calling_refund_refused", language=account.language,
                         full_name=account.full_name, amount_cents=refused,
                         facility_name=_facility_name(record.facility_id),
                         link=app_link("support"))


def retry_owed_refunds(limit: int = 50) -> dict[str, int]:
    """The settlement job's part: the refunds whose next try is due (one Query, then one read,
    the card refunds and one write per refund)."""
    done = {"calling_refunds_sent": 0, "calling_refunds_still_owed": 0}
    for item in CallingRefund.by_owed.query(Owed.RETRY, CallingRefund.retry_at <= clock.iso(),
                                            limit=limit):
        record = get_or_none(CallingRefund, item.refund_id)
        if record is None or record.owed != Owed.RETRY:
            continue
        sent = _send_card_refunds(record)["status"] == "sent"
        done["calling_refunds_sent" if sent else "calling_refunds_still_owed"] += 1
    return done


def owed_refunds(limit: int = 100) -> list[CallingRefund]:
    """Every refund with a part not yet sent, for ``make audit`` (a Query per partition)."""
    return [found for state in Owed for item in CallingRefund.by_owed.query(state, limit=limit)
            if (found := get_or_none(CallingRefund, item.refund_id)) is not None]


def balances(account_id: str, facility_id: str) -> dict:
    account = calling_account(account_id, facility_id)
    return {"facility_id": facility_id, "balance_cents": available_cents(account),
            "held_cents": available_cents(held_account(account))}


# --- the inactivity job ----------------------------------------------------------------------

CATCH_UP_DAYS = 7  # a job missed for up to a week still finds its wallets


def work_idle_wallets(last_sign_in) -> dict:
    """The daily job: the wallets whose step day came.  Each is checked against its real last
    activity (``last_sign_in(account_id)`` included): still idle → warn or refund; active since
    → its clock moves on.  Reads only the due days' index partitions."""
    today = date.fromisoformat(clock.iso()[:10])
    done = {"warned": 0, "refunded": 0, "rescheduled": 0}
    for back in range(CATCH_UP_DAYS, -1, -1):
        day = (today - timedelta(days=back)).isoformat()
        for wallet in CallingWallet.by_step_day.query(day):
            done[_work_wallet(wallet, today, last_sign_in)] += 1
    return done


def _work_wallet(wallet: CallingWallet, today: date, last_sign_in) -> str:
    last = max(filter(None, [wallet.last_active_at, last_sign_in(wallet.account_id)]))
    idle = (today - date.fromisoformat(last[:10])).days
    step_days = {step: days for days, step in IDLE_STEPS}
    if idle < step_days[wallet.step]:  # active since the step was set: the clock starts again
        days, step = next((days, step) for days, step in IDLE_STEPS if days > idle)
        wallet.update(actions=[CallingWallet.last_active_at.set(last), CallingWallet.step.set(step),
                               CallingWallet.step_day.set(_day_after(last, days))])
        return "rescheduled"
    account = account_by_id(wallet.account_id)
    if wallet.step == "refund":
        refund = refund_balance(wallet.account_id, wallet.facility_id, "inactive")
        wallet.delete()
        if account is not None and refund["amount_cents"]:
            notifier().email(account.email, "calling_refunded", language=account.language,
                             full_name=account.full_name, amount_cents=refund["amount_cents"],
                             facility_name=_facility_name(wallet.facility_id))
        return "refunded"
    balance = available_cents(calling_account(wallet.account_id, wallet.facility_id))
    names = [step for _days, step in IDLE_STEPS]
    next_step = names[names.index(wallet.step) + 1]
    next_days = step_days[next_step]
    wallet.update(actions=[CallingWallet.step.set(next_step),
                           CallingWallet.step_day.set(_day_after(last, next_days))])
    if account is not None and balance > 0:
        notifier().email(account.email, "calling_inactive_warning", language=account.language,
                         full_name=account.full_name, amount_cents=balance,
                         facility_name=_facility_name(wallet.facility_id),
                         refund_on=_day_after(last, IDLE_STEPS[-1][0]))
    return "warned"


def _facility_name(facility_id: str) -> str:
    found = facilities.facility(facility_id)
    return found.name if found else facility_id


# --- statements ------------------------------------------------------------------------------

def statement_money(account_id: str, facility_id: str, start: str, end: str) -> dict:
    """The money part of a month's statement (``start`` ≤ time < ``end``, ISO UTC): the
    family's deposits at the facility, the calling balance's movements by kind (calls, visits
    paid from it, refunds) and its opening and closing balances (calls in progress included).
    Reads the entries since ``start`` only: the cost follows the month, not the history."""
    accounts = [calling_account(account_id, facility_id)]
    accounts.append(held_account(accounts[0]))
    now_cents = sum(available_cents(account) for account in accounts)
    entries = [entry for account in accounts
               for entry in ledger.LedgerEntry.query(account, ledger.LedgerEntry.entry_key >= start)]
    after = sum(int(e.amount_cents) for e in entries if e.at >= end)
    closing = now_cents - after
    opening = closing - sum(int(e.amount_cents) for e in entries if e.at < end)
    deposits = [{"deposit_id": d.deposit_id, "account": d.account, "inmate_id": d.inmate_id,
                 "amount_cents": int(d.amount_cents), "fee_cents": int(d.fee_cents),
                 "created_at": d.created_at, "status": d.status}
                for d in Deposit.by_sender.query(account_id, Deposit.created_key.between(start, end))
                if d.facility_id == facility_id]
    refunds = [{"refund_id": r.refund_id, "amount_cents": int(r.amount_cents),
                "reason": r.reason, "created_at": r.created_at,
                "status": "refund_pending" if r.status == CardRefund.FAILED else "sent"}
               for r in CallingRefund.by_account.query(
                   account_id, CallingRefund.created_at.between(start, end))
               if r.facility_id == facility_id]
    # Net per kind over the balance and its holds: a hold and its release cancel out, so a call
    # shows its charge; deposits in, calls, visits paid from the balance and refunds out.
    net: dict[str, int] = {}
    for entry in entries:
        if entry.at < end:
            net[entry.kind] = net.get(entry.kind, 0) + int(entry.amount_cents)
    return {"opening_balance_cents": opening, "closing_balance_cents": closing,
            "deposits": deposits, "refunds": refunds,
            "calling_balance_movements": {kind: cents for kind, cents in sorted(net.items())
                                          if cents}}
