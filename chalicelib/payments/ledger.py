"""The ledger: double-entry, integer cents, append-only.
A journal's postings sum to zero; each balance changes with ``ADD`` in the same transaction as
its entries, so it always equals their sum; inmate accounts never go negative.  House accounts
belong to one facility and one UTC day, on one of ``MONEY_STRIPES`` stripes picked by the
journal, so no balance item is shared by transactions of many facilities; ``house`` rolls
them up off the request path.
Why: docs/decisions/ledger.md, docs/scale.md
"""
from __future__ import annotations

from typing import NamedTuple

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.transactions import TransactWrite

from chalicelib.core.store import (MONEY_STRIPES, BaseMeta, StoredModel, TableName, append_only,
                                   get_or_none, register, stripe_of)

@register
@append_only
class LedgerEntry(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("ledger-entries")

    account = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)  # "<ISO time>#<journal id>": newest sorts last
    journal_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # deposit | refund | stamps | dispute* | outside_refund | call*
    amount_cents = NumberAttribute()
    at = UnicodeAttribute()
    memo = UnicodeAttribute(default="")


class HouseAccountsByDay(GlobalSecondaryIndex):
    """Sparse, keys only: the house accounts of one UTC day and stripe (``<day>#<stripe>``),
    for the roll-up.  Written once per account, when its first journal sets ``house_day``; later
    ``ADD``s change no projected attribute.  Keyed by day alone, every facility's first payments
    after midnight UTC wrote one index partition (docs/scale.md)."""

    class Meta:
        index_name = "house_by_day"
        projection = KeysOnlyProjection()

    house_day = UnicodeAttribute(hash_key=True)


@register
class LedgerBalance(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("ledger-balances")

    account = UnicodeAttribute(hash_key=True)
    balance_cents = NumberAttribute(default=0)
    entry_count = NumberAttribute(default=0)
    house_day = UnicodeAttribute(null=True)  # house accounts only: "<day>#<stripe>"
    house_by_day = HouseAccountsByDay()


class Posting(NamedTuple):
    account: str
    amount_cents: int


def inmate_account(inmate_id: str, account: str) -> str:
    return f"inmate:{inmate_id}:{account}"


def card_clearing(facility_id: str, journal_id: str, at: str) -> str:
    """Money the card processor owes us for this facility's payments (negative as cards are
    charged)."""
    return house_account("card_clearing", facility_id, journal_id, at)


def fee_revenue(facility_id: str, journal_id: str, at: str) -> str:
    return house_account("deposit_fees", facility_id, journal_id, at)


def stamp_sales(facility_id: str, journal_id: str, at: str) -> str:
    return house_account("stamp_sales", facility_id, journal_id, at)


def disputed(facility_id: str, journal_id: str, at: str) -> str:
    """Card payments the card network took back while a dispute is open (a receivable)."""
    return house_account("disputed", facility_id, journal_id, at)


def card_losses(facility_id: str, journal_id: str, at: str) -> str:
    """Money the house lost to cards: disputes lost, refunds made outside the API that the
    inmate's account could not give back."""
    return house_account("card_losses", facility_id, journal_id, at)


def house_account(kind: str, facility_id: str, journal_id: str, at: str) -> str:
    """``<kind>#<facility>#<UTC day>#<stripe>``.  The stripe comes from the journal id, so one
    journal's house accounts share it: two transactions meet on all of them or on none."""
    return f"{kind}#{facility_id}#{at[:10]}#{stripe_of(journal_id, MONEY_STRIPES):02d}"


class HouseAccount(NamedTuple):
    kind: str
    facility_id: str
    day: str
    stripe: str


def house_index_key(day: str, stripe: str) -> str:
    """Where ``house_by_day`` lists a house account: its day and stripe."""
    return f"{day}#{stripe}"


def parse_house_account(account: str) -> HouseAccount | None:
    """The parts of a house account's name; None for an inmate account."""
    parts = account.split("#")
    if is_inmate_account(account) or len(parts) < 4:
        return None
    return HouseAccount(parts[0], "#".join(parts[1:-2]), parts[-2], parts[-1])


def is_inmate_account(account: str) -> bool:
    return account.startswith("inmate:")


# Accounts that hold someone's money and so never go negative: an inmate's, a family's calling
# balance (``calling:``) and the money held for calls in progress (``held:``).
OWNED_PREFIXES = ("inmate:", "calling:", "held:")


def is_owned_account(account: str) -> bool:
    return account.startswith(OWNED_PREFIXES)


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
        actions = [LedgerBalance.balance_cents.add(posting.amount_cents),
                   LedgerBalance.entry_count.add(1)]
        house = parse_house_account(posting.account)
        if house is not None:  # listed under its day once; the value never changes afterwards
            listed = house_index_key(house.day, house.stripe)
            actions.append(LedgerBalance.house_day.set(LedgerBalance.house_day | listed))
        if posting.amount_cents < 0 and is_owned_account(posting.account):
            condition = LedgerBalance.balance_cents >= -posting.amount_cents
        transaction.update(LedgerBalance(posting.account), actions=actions, condition=condition)


def balance_of(account: str) -> int:
    found = get_or_none(LedgerBalance, account, consistent=False)
    return int(found.balance_cents) if found else 0


def newest_entries(account: str, limit: int) -> list[LedgerEntry]:
    return list(LedgerEntry.query(account, scan_index_forward=False, limit=limit))
