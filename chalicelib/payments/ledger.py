"""The ledger: double-entry, integer cents, append-only.
A journal's postings sum to zero; each balance changes with ``ADD`` in the same transaction as
its entries, so it always equals their sum; inmate accounts never go negative.  House accounts
are split into ``HOUSE_SHARDS`` sub-accounts so concurrent payments do not conflict.
Why: docs/decisions/ledger.md
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.store import BaseMeta, TableName, append_only, get_or_none, register

HOUSE_SHARDS = 16


@register
@append_only
class LedgerEntry(Model):
    class Meta(BaseMeta):
        table_name = TableName("ledger-entries")

    account = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)  # "<ISO time>#<journal id>": newest sorts last
    journal_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # deposit | refund | stamps | dispute* | outside_refund
    amount_cents = NumberAttribute()
    at = UnicodeAttribute()
    memo = UnicodeAttribute(default="")


@register
class LedgerBalance(Model):
    class Meta(BaseMeta):
        table_name = TableName("ledger-balances")

    account = UnicodeAttribute(hash_key=True)
    balance_cents = NumberAttribute(default=0)
    entry_count = NumberAttribute(default=0)


@dataclass(frozen=True)
class Posting:
    account: str
    amount_cents: int


def inmate_account(inmate_id: str, account: str) -> str:
    return f"inmate:{inmate_id}:{account}"


def card_clearing() -> str:
    """Money the card processor owes us (negative as cards are charged)."""
    return _house("card_clearing")


def fee_revenue(facility_id: str) -> str:
    return _house(f"facility:{facility_id}:deposit_fees")


def stamp_sales(facility_id: str) -> str:
    return _house(f"facility:{facility_id}:stamp_sales")


def disputed(facility_id: str) -> str:
    """Card payments the card network took back while a dispute is open (a receivable)."""
    return _house(f"facility:{facility_id}:disputed")


def card_losses(facility_id: str) -> str:
    """Money the house lost to cards: disputes lost, refunds made outside the API that the
    inmate's account could not give back."""
    return _house(f"facility:{facility_id}:card_losses")


def _house(name: str) -> str:
    return f"{name}#{random.randrange(HOUSE_SHARDS):02d}"  # noqa: S311 (load spreading, not security)


def is_inmate_account(account: str) -> bool:
    return account.startswith("inmate:")


def post(transaction: TransactWrite, journal_id: str, kind: str, at: str,
         postings: list[Posting], memo: str = "") -> None:
    """Add one balanced journal to ``transaction``: its entries and their balance updates."""
    if sum(p.amount_cents for p in postings) != 0:
        raise ValueError(f"journal {journal_id} does not balance: {postings}")
    if len({p.account for p in postings}) != len(postings):
        raise ValueError(f"journal {journal_id} posts twice to one account")
    for posting in postings:
        if posting.amount_cents == 0:
            continue  # a zero fee leaves no entry
        entry = LedgerEntry(posting.account, f"{at}#{journal_id}", journal_id=journal_id,
                            kind=kind, amount_cents=posting.amount_cents, at=at, memo=memo)
        transaction.save(entry, condition=LedgerEntry.entry_key.does_not_exist())
        condition = None
        if posting.amount_cents < 0 and is_inmate_account(posting.account):
            condition = LedgerBalance.balance_cents >= -posting.amount_cents
        transaction.update(LedgerBalance(posting.account),
                           actions=[LedgerBalance.balance_cents.add(posting.amount_cents),
                                    LedgerBalance.entry_count.add(1)],
                           condition=condition)


def balance_of(account: str) -> int:
    found = get_or_none(LedgerBalance, account, consistent=False)
    return int(found.balance_cents) if found else 0


def newest_entries(account: str, limit: int) -> list[LedgerEntry]:
    return list(LedgerEntry.query(account, scan_index_forward=False, limit=limit))
