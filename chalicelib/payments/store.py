"""Tables of the money capability (the ledger's own are in ``ledger``); writes go through
``core.store.write_together``."""
from __future__ import annotations

from pynamodb.attributes import (ListAttribute, MapAttribute, NumberAttribute, TTLAttribute,
                                 UnicodeAttribute, UnicodeSetAttribute)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.core.store import StoredModel, BaseMeta, ExpiringModel, TableName, register
from chalicelib.payments.states import FlagStatus


class DepositsBySender(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_sender"
        projection = AllProjection()

    sender_account_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)  # "<ISO time>#<deposit id>"


@register
class Deposit(StoredModel):
    """A deposit's state: ``completed`` → ``refunded`` (once; the refund is a conditional
    transition).  Money itself lives in the ledger; this is what the family and staff see."""

    class Meta(BaseMeta):
        table_name = TableName("deposits")

    deposit_id = UnicodeAttribute(hash_key=True)
    sender_account_id = UnicodeAttribute()
    created_key = UnicodeAttribute()
    inmate_id = UnicodeAttribute(null=True)  # None for the family's own calling balance
    facility_id = UnicodeAttribute()
    account = UnicodeAttribute()  # trust | phone | calling
    # Calling deposits: how much of it the family's balance refunds returned (calling.py).
    refunded_cents = NumberAttribute(null=True)
    amount_cents = NumberAttribute()
    fee_cents = NumberAttribute()
    total_cents = NumberAttribute()
    status = UnicodeAttribute()  # states.DepositStatus
    created_at = UnicodeAttribute()
    authorization_id = UnicodeAttribute()
    refunded_at = UnicodeAttribute(null=True)
    refunded_by = UnicodeAttribute(null=True)
    refund_reason = UnicodeAttribute(null=True)
    # states.CardRefund: pending from the refund transaction until the processor confirms.
    card_refund = UnicodeAttribute(null=True)
    dispute = UnicodeAttribute(null=True)  # states.DisputeStatus, set by Stripe's webhooks
    by_sender = DepositsBySender()


class Unsettled(GlobalSecondaryIndex):
    """Sparse: only card payments with something left to do at the processor are in it, so
    the reconciliation job's cost follows what is pending, not how many payments exist."""

    class Meta:
        index_name = "by_unsettled"
        projection = AllProjection()

    unsettled = UnicodeAttribute(hash_key=True)  # states.Unsettled: what is left to do
    retry_at = UnicodeAttribute(range_key=True)  # ISO time of the next attempt


@register
class CardPayment(StoredModel):
    """One card authorization and what became of it at the processor (capture, refund,
    dispute), keyed by the processor's id (a Stripe PaymentIntent), so webhooks find the
    journal it paid.  Written in the payment's own transaction."""

    class Meta(BaseMeta):
        table_name = TableName("card-payments")

    payment_id = UnicodeAttribute(hash_key=True)
    journal_id = UnicodeAttribute()  # the deposit or stamp purchase
    kind = UnicodeAttribute()  # deposit | stamps
    facility_id = UnicodeAttribute()
    amount_cents = NumberAttribute()
    created_at = UnicodeAttribute()
    capture = UnicodeAttribute()  # states.CaptureStatus
    refund_id = UnicodeAttribute(null=True)
    dispute_id = UnicodeAttribute(null=True)
    dispute = UnicodeAttribute(null=True)  # states.DisputeStatus
    dispute_cents = NumberAttribute(null=True)
    outside_refund_cents = NumberAttribute(null=True)  # refunded in Stripe's dashboard
    # Refunded by the API other than by reversing a deposit (unused stamps, at an account's
    # deletion): the webhook's refunded total minus this is what went outside the API.
    refunded_cents = NumberAttribute(null=True)
    unsettled = UnicodeAttribute(null=True)
    retry_at = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    by_unsettled = Unsettled()


@register
class ProcessorEvent(StoredModel):
    """A processor webhook event already applied: written in the transaction that applies it
    (``does_not_exist``), so a replayed event changes nothing.  Kept 30 days (Stripe retries
    for 3)."""

    class Meta(BaseMeta):
        table_name = TableName("processor-events")

    event_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()
    payment_id = UnicodeAttribute(null=True)
    received_at = UnicodeAttribute()
    ttl = TTLAttribute(null=True)


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


class FlagsBySender(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_sender"
        projection = AllProjection()

    sender_account_id = UnicodeAttribute(hash_key=True)
    flag_id = UnicodeAttribute(range_key=True)


@register
class ReviewFlag(StoredModel):
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
    status = UnicodeAttribute(default=FlagStatus.PENDING)  # states.FlagStatus
    created_at = UnicodeAttribute()
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    decision_reason = UnicodeAttribute(null=True)
    by_sender = FlagsBySender()  # export of the sender's data (privacy)
