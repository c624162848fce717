"""DynamoDB tables of eMessaging, and the writes that must be atomic.
Lists are Queries on three indexes (eventually consistent; every decision re-reads the item
and is conditioned on its state).  A decision appends its review-log line, and a send its
idempotency record, in the same transaction.
Why: docs/decisions/tables.md
"""
from __future__ import annotations

from typing import NamedTuple

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.transactions import TransactGet

from chalicelib.accounts import APPEND_ONLY_ACTIVITY, ActivityEvent
from chalicelib.core import audit, clock
from chalicelib.core.audit import ReviewEntry
from chalicelib.core.idempotency import Attempt, IdempotencyRecord, StoredResponse, serialise
from chalicelib.core.store import (StoredModel, BaseMeta, StateChanged, TableName, get_or_none, index_page,
                                   read_together, register, resolved, write_together, written)
from chalicelib.facilities import Facility
from chalicelib.media import Attachment
from chalicelib.media import claim as claim_attachment
from chalicelib.messaging import states
from chalicelib.payments import StampBalance, credit_stamps, spend_stamps


# --- messages ------------------------------------------------------------------------------

class MessagesByFamilyThread(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_family_thread"
        projection = AllProjection()

    family_thread_id = UnicodeAttribute(hash_key=True)
    sent_key = UnicodeAttribute(range_key=True)


class MessagesByReviewQueue(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_review_queue"
        projection = AllProjection()

    review_key = UnicodeAttribute(hash_key=True)
    sent_key = UnicodeAttribute(range_key=True)


class MessagesByReviewPool(GlobalSecondaryIndex):
    """Sparse: only messages waiting for review, free or leased (``claims.py``)."""

    class Meta:
        index_name = "by_review_pool"
        projection = KeysOnlyProjection()

    review_pool = UnicodeAttribute(hash_key=True)  # the facility
    lease_key = UnicodeAttribute(range_key=True)  # "<lease end, 10-digit epoch>#<sent_key>"


class MessagesByDigestDue(GlobalSecondaryIndex):
    """Sparse: decisions waiting for their family's daily digest (``digests.py``)."""

    class Meta:
        index_name = "by_digest_due"
        projection = KeysOnlyProjection()

    digest_shard = UnicodeAttribute(hash_key=True)
    digest_order = UnicodeAttribute(range_key=True)  # "<day>#<account_id>#<sent_key>"


class MessagesByInbox(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_inbox"
        projection = AllProjection()

    inbox_inmate_id = UnicodeAttribute(hash_key=True)
    sent_key = UnicodeAttribute(range_key=True)


class MessagesByAccount(GlobalSecondaryIndex):
    """Every message of a family account's threads, whatever its state (export, erasure)."""

    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    sent_key = UnicodeAttribute(range_key=True)


@register
class Message(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("messages")

    message_id = UnicodeAttribute(hash_key=True)
    contact_id = UnicodeAttribute()
    facility_id = UnicodeAttribute()
    account_id = UnicodeAttribute()  # the family side of the thread
    inmate_id = UnicodeAttribute()
    direction = UnicodeAttribute()  # states.TO_INMATE | states.TO_FAMILY
    family_name = UnicodeAttribute()
    inmate_name = UnicodeAttribute()
    body = UnicodeAttribute()
    status = UnicodeAttribute()
    review_key = UnicodeAttribute()
    # "<sent time, microseconds>#<message_id>": orders a thread and the queue, unique.
    sent_key = UnicodeAttribute()
    sent_at = UnicodeAttribute()
    watch_words = ListAttribute(of=UnicodeAttribute, default=list)
    # Who paid, and how many stamps: a rejection refunds exactly this to exactly them.
    payer_account_id = UnicodeAttribute(null=True)
    stamps_spent = NumberAttribute(default=0)
    # Sparse index keys: set when the message becomes visible to that side (the family sees
    # what it sent at once, a reply once delivered; the inmate sees a message once delivered).
    family_thread_id = UnicodeAttribute(null=True)
    inbox_inmate_id = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    rejection_reason = UnicodeAttribute(null=True)  # the reason's English words
    # The reason's code and its words in every language, as the rules said when it was given.
    rejection_reason_code = UnicodeAttribute(null=True)
    rejection_reason_texts = MapAttribute(null=True)
    read_at = UnicodeAttribute(null=True)
    # With photos or a VideoGram: the text and each attachment, each with its price, status
    # and reason (messaging.parts); empty for a text-only message.
    parts = ListAttribute(null=True)
    # While pending review: the review pool's keys and the reviewer holding the lease, if any.
    review_pool = UnicodeAttribute(null=True)
    lease_key = UnicodeAttribute(null=True)
    claimed_by = UnicodeAttribute(null=True)
    # While the decision waits for the family's daily digest.
    digest_shard = UnicodeAttribute(null=True)
    digest_order = UnicodeAttribute(null=True)
    by_family_thread = MessagesByFamilyThread()
    by_review_pool = MessagesByReviewPool()
    by_digest_due = MessagesByDigestDue()

    def serialize(self, *args, **kwargs):
        """A message saved pending review enters the review pool, unleased."""
        pending = self.status == states.PENDING_REVIEW
        self.review_pool = self.facility_id if pending else None
        self.lease_key = (self.lease_key or f"{0:010d}#{self.sent_key}") if pending else None
        return super().serialize(*args, **kwargs)

    def reason_in(self, language: str) -> str | None:
        """The rejection's reason in ``language``, else its words as first stored."""
        texts = self.rejection_reason_texts
        texts = texts.as_dict() if hasattr(texts, "as_dict") else dict(texts or {})
        return texts.get(language) or self.rejection_reason
    by_review_queue = MessagesByReviewQueue()
    by_inbox = MessagesByInbox()
    by_account = MessagesByAccount()


# --- errors the services translate ---------------------------------------------------------

class StampsShort(Exception):
    """The stamp balance was not what the send expected (spent or credited meanwhile)."""


class IdempotencyKeyTaken(Exception):
    """A concurrent request with the same key committed first."""


class AttachmentTaken(Exception):
    """An attachment of the send was claimed by another message first."""


# --- message writes ------------------------------------------------------------------------

class SendSnapshot(NamedTuple):
    """What a send needs besides the contact, read in one consistent TransactGetItems call."""

    facility: Facility
    balance: int | None  # the payer's stamps at the facility (None when nobody pays)
    earlier: StoredResponse | None  # the response to replay for the send's Idempotency-Key


def send_snapshot(facility_id: str, payer_account_id: str | None,
                  attempt: Attempt | None) -> SendSnapshot:
    """Raises ``idempotency_key_reused`` when the key was used for another request."""
    futures = {}

    def reads(snapshot: TransactGet) -> None:
        futures["facility"] = snapshot.get(Facility, facility_id)
        futures["balance"] = snapshot.get(StampBalance, payer_account_id, facility_id) \
            if payer_account_id else None
        if attempt is not None:
            attempt.read_in(snapshot)

    read_together(reads)
    balance = resolved(futures["balance"])
    return SendSnapshot(
        facility=futures["facility"].get(),
        balance=None if futures["balance"] is None else int(balance.balance if balance else 0),
        earlier=attempt.previous() if attempt is not None else None,
    )


def store_sent_message(message: Message, *, expected_balance: int | None,
                       attempt: Attempt | None, response: dict, entry: ReviewEntry | None,
                       activity_event: ActivityEvent | None,
                       attachments: tuple = ()) -> StoredResponse:
    """Store ``message``, spend its stamps and record ``response`` for the send's key, all or
    nothing; returns the response to send.

    ``expected_balance`` is the balance the sender's snapshot saw: the spend is conditioned on
    it so ``stamps_left`` is exact; ``StampsShort`` tells the caller to look again, as does
    ``IdempotencyKeyTaken`` (a twin request committed first: its response is replayed).
    ``entry`` is the review log line of an automatic decision; the sender's activity event is
    saved only if the message is, and its ``attachments`` are claimed for it.
    """
    stored = [StoredResponse(201, "")]

    def build(transaction):
        transaction.save(message, condition=Message.message_id.does_not_exist())
        if message.stamps_spent:
            spend_stamps(transaction, message.payer_account_id, message.facility_id,
                         message.stamps_spent, expected_balance=expected_balance)
        if attempt is not None:
            stored[0] = attempt.record(transaction, 201, response)
        if entry is not None:
            audit.append(transaction, entry)
        if activity_event is not None:
            transaction.save(activity_event, condition=APPEND_ONLY_ACTIVITY)
        for item in attachments:
            claim_attachment(transaction, item, message.message_id)

    write_together(build, {IdempotencyRecord: IdempotencyKeyTaken, StampBalance: StampsShort,
                           Attachment: AttachmentTaken})
    return stored[0] if attempt is not None else StoredResponse(201, serialise(response))


LEAVE_REVIEW_POOL = [Message.review_pool.remove(), Message.lease_key.remove(),
                     Message.claimed_by.remove()]


def decide_message(message: Message, to_status: str, entry: ReviewEntry,
                   reason_code: str | None = None, reason_texts: dict | None = None) -> None:
    """Move a message out of review; a rejection refunds its stamps in the same transaction and
    keeps its reason's code and words (``reason_texts``: language -> words)."""
    actions = [Message.status.set(to_status),
               Message.review_key.set(audit.review_key(message.facility_id, to_status)),
               Message.decided_at.set(entry.at), *LEAVE_REVIEW_POOL]
    if to_status == states.REJECTED:
        texts = reason_texts or {}
        actions += [Message.rejection_reason.set(texts.get("en", entry.reason)),
                    Message.rejection_reason_code.set(reason_code),
                    Message.rejection_reason_texts.set(texts)]
    elif message.direction == states.TO_INMATE:
        actions.append(Message.inbox_inmate_id.set(message.inmate_id))
    else:
        actions.append(Message.family_thread_id.set(message.contact_id))

    def build(transaction):
        transaction.update(message, actions=actions,
                           condition=Message.status == states.PENDING_REVIEW)
        if to_status == states.REJECTED and message.stamps_spent:
            credit_stamps(transaction, message.payer_account_id, message.facility_id,
                          message.stamps_spent)
        audit.append(transaction, entry)

    write_together(build, {Message: StateChanged})


def defer_to_digest(message: Message, shard: str, order: str) -> None:
    message.update(actions=[Message.digest_shard.set(shard), Message.digest_order.set(order)])


def take_for_digest(message: Message) -> bool:
    """Claim a deferred decision for one digest: False when another run took it."""
    return written(lambda: message.update(
        actions=[Message.digest_shard.remove(), Message.digest_order.remove()],
        condition=Message.digest_order == message.digest_order))


def mark_read(message: Message) -> bool:
    """Delivered -> read; False when someone else marked it first (nothing to do)."""
    now = clock.iso()
    return written(lambda: message.update(
        actions=[Message.status.set(states.READ), Message.read_at.set(now),
                 Message.review_key.set(audit.review_key(message.facility_id, states.READ))],
        condition=Message.status == states.DELIVERED))


# --- message reads -------------------------------------------------------------------------

def message(message_id: str) -> Message | None:
    return get_or_none(Message, message_id)


def family_thread(contact_id: str, limit: int, cursor: str | None, render) -> dict:
    return index_page(Message.by_family_thread, contact_id, limit, cursor, render,
                      newest_first=True)


def review_queue(facility_id: str, status: str, limit: int, cursor: str | None, render) -> dict:
    return index_page(Message.by_review_queue, audit.review_key(facility_id, status), limit,
                      cursor, render, newest_first=False)


def inbox(inmate_id: str, limit: int, cursor: str | None, render) -> dict:
    return index_page(Message.by_inbox, inmate_id, limit, cursor, render, newest_first=True)
