"""Stamp balances, one per family account per facility.

Stamps are bought here (``stamp_purchases``) and spent by messaging, each inside the caller's own
DynamoDB transaction: this module gives the model and the conditional transaction actions, so a
stamp can never be spent twice or go negative.
"""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.transactions import TransactWrite

from chalicelib.core.store import StoredModel, BaseMeta, TableName, register


@register
class StampBalance(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("stamp-balances")

    account_id = UnicodeAttribute(hash_key=True)
    facility_id = UnicodeAttribute(range_key=True)
    balance = NumberAttribute(default=0)


def credit(transaction: TransactWrite, account_id: str, facility_id: str, stamps: int) -> None:
    transaction.update(StampBalance(account_id, facility_id),
                       actions=[StampBalance.balance.add(stamps)])


def spend(transaction: TransactWrite, account_id: str, facility_id: str, stamps: int = 1, *,
          expected_balance: int | None = None) -> None:
    """Fails the whole transaction when the balance is short.

    With ``expected_balance`` it also fails when the balance is no longer the one the caller
    read, so the caller knows the exact balance left afterwards (messaging answers
    ``stamps_left``) and simply reads again when another spend or purchase got in between.
    """
    condition = StampBalance.balance >= stamps
    if expected_balance is not None:
        condition &= StampBalance.balance == expected_balance
    transaction.update(StampBalance(account_id, facility_id),
                       actions=[StampBalance.balance.add(-stamps)], condition=condition)


def balances(account_id: str) -> list[StampBalance]:
    return list(StampBalance.query(account_id))
