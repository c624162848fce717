"""Tables of the money capability (the ledger's own are in ``ledger``) and the transaction
runner every money write goes through."""
from __future__ import annotations

import random
import time
from collections.abc import Callable

from pynamodb.attributes import (ListAttribute, MapAttribute, NumberAttribute,
                                 UnicodeAttribute, UnicodeSetAttribute)
from pynamodb.exceptions import DoesNotExist, TransactGetError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactGet, TransactWrite

from chalicelib.core.store import (BaseMeta, ByExpiry, ExpiringModel, TableName,
                                   cancellation_codes, register, transaction_connection)
from chalicelib.core.store import failed_conditions as failed_conditions  # used via this module

CONFLICT_RETRIES = 4


class DepositsBySender(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_sender"
        projection = AllProjection()

    sender_account_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)  # "<ISO time>#<deposit id>"


@register
class Deposit(Model):
    """A deposit's state: ``completed`` → ``refunded`` (once; the refund is a conditional
    transition).  Money itself lives in the ledger; this is what the family and staff see."""

    class Meta(BaseMeta):
        table_name = TableName("deposits")

    deposit_id = UnicodeAttribute(hash_key=True)
    sender_account_id = UnicodeAttribute()
    created_key = UnicodeAttribute()
    inmate_id = UnicodeAttribute()
    facility_id = UnicodeAttribute()
    account = UnicodeAttribute()  # trust | phone
    amount_cents = NumberAttribute()
    fee_cents = NumberAttribute()
    total_cents = NumberAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    authorization_id = UnicodeAttribute()
    refunded_at = UnicodeAttribute(null=True)
    refunded_by = UnicodeAttribute(null=True)
    refund_reason = UnicodeAttribute(null=True)
    # "pending" from the refund transaction until the processor confirms, then "sent".
    card_refund = UnicodeAttribute(null=True)
    by_sender = DepositsBySender()


@register
class DailyTally(ExpiringModel):
    """Per UTC day: what one sender deposited (total and distinct inmates), or who paid one
    inmate (distinct senders).  Updated with ADD in the deposit's transaction; expires after
    the day is well over."""

    class Meta(BaseMeta):
        table_name = TableName("daily-tallies")

    tally_key = UnicodeAttribute(hash_key=True)  # "sender:<account>:<day>" | "inmate:<id>:<day>"
    total_cents = NumberAttribute(default=0)
    members = UnicodeSetAttribute(default=set)  # inmates (sender tally) or senders (inmate tally)
    by_expiry = ByExpiry()


@register
class ReviewFlag(Model):
    """A deposit held up for staff review (never blocked): rule codes that matched, status,
    and who decided what, when and why.  A decision is final."""

    class Meta(BaseMeta):
        table_name = TableName("review-flags")

    facility_id = UnicodeAttribute(hash_key=True)
    flag_id = UnicodeAttribute(range_key=True)  # "flg_<ISO time>_<random>": sorts by time
    deposit_id = UnicodeAttribute()
    inmate_id = UnicodeAttribute()
    sender_account_id = UnicodeAttribute()
    amount_cents = NumberAttribute()
    rule_codes = ListAttribute(of=UnicodeAttribute)
    details = MapAttribute(default=dict)
    status = UnicodeAttribute(default="pending")  # pending | cleared | escalated
    created_at = UnicodeAttribute()
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    decision_reason = UnicodeAttribute(null=True)


def get_or_none(model: type[Model], *key: str):
    try:
        return model.get(*key, consistent_read=True)
    except DoesNotExist:
        return None


def read_together(fill: Callable[[TransactGet], None]) -> None:
    """One consistent ``TransactGetItems`` call; retried when it meets a concurrent write."""
    _with_retries(lambda: _run(TransactGet, fill), TransactGetError)


def write_together(fill: Callable[[TransactWrite], None]) -> None:
    """One ``TransactWriteItems`` call, all or nothing.  A ``TransactionConflict`` (another
    transaction touching one of the items at that instant) is retried with a fresh
    transaction; a failed condition raises ``TransactWriteError`` to the caller."""
    _with_retries(lambda: _run(TransactWrite, fill), TransactWriteError)


def _run(kind, fill) -> None:
    with kind(connection=transaction_connection()) as transaction:
        fill(transaction)


def _with_retries(action: Callable[[], None], error_type: type[Exception]) -> None:
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            return action()
        except error_type as error:
            if attempt == CONFLICT_RETRIES or not only_conflicts(error):
                raise
            time.sleep(random.uniform(0, 0.02 * 2 ** attempt))  # noqa: S311 (retry jitter)


def only_conflicts(error) -> bool:
    codes = cancellation_codes(error)
    return bool(codes) and codes <= {"TransactionConflict"}
