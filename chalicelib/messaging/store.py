"""DynamoDB tables of contacts and eMessaging, and the writes that must be atomic.

* ``contacts``: one item per request to connect a family account with an inmate.  Its
  ``review_key`` (``<facility>#<status>``) feeds the staff queue index; ``approved_inmate_id`` is
  set only once approved, so the inmate's sparse index lists approved contacts only.
* ``contact-claims``: one item per (account, inmate) pair, created in the same transaction as the
  contact with ``attribute_not_exists``: a pair has at most one contact, under any concurrency.
* ``messages``: one item per message, keyed by ``message_id``.  Three indexes serve the lists,
  each a Query whose page cost is independent of the collection's size: the sparse
  ``by_family_thread`` (what the family may see of a contact's thread, newest first),
  ``by_review_queue`` (``<facility>#<status>``, oldest first) and the sparse ``by_inbox``
  (messages delivered to an inmate).  Index reads are eventually consistent (a message sent a
  few milliseconds ago may not be listed yet); every decision re-reads the item itself and is
  conditioned on its state.
* ``review-log``: append-only audit of every decision on a contact or a message (who, when,
  what, why).  Entries are written with ``attribute_not_exists`` inside the decision's own
  transaction and never updated, so a decision cannot happen without its log line.
* ``messaging-idempotency``: the stored first response for each ``Idempotency-Key`` of a sender,
  written in the same transaction as the message it created (kept 24 hours).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactGet, TransactWrite

from chalicelib.accounts import activity
from chalicelib.accounts.activity import ActivityEvent
from chalicelib.core import clock
from chalicelib.core.store import (BaseMeta, ByExpiry, ExpiringModel, TableName, append_only,
                                   aws_error_code, condition_failed, decode_cursor, page,
                                   register, transaction_connection)
from chalicelib.facilities.store import Facility, Inmate
from chalicelib.messaging import stamps, states
from chalicelib.messaging.stamps import StampBalance


# --- contacts ------------------------------------------------------------------------------

class ContactsByReviewKey(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_review_key"
        projection = AllProjection()

    review_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class ContactsByAccount(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class ApprovedContactsByInmate(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_approved_inmate"
        projection = AllProjection()

    approved_inmate_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


@register
class Contact(Model):
    class Meta(BaseMeta):
        table_name = TableName("contacts")

    contact_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    inmate_id = UnicodeAttribute()
    facility_id = UnicodeAttribute()
    status = UnicodeAttribute()
    review_key = UnicodeAttribute()
    approved_inmate_id = UnicodeAttribute(null=True)
    # Shown to staff and the inmate without a read per row.
    family_name = UnicodeAttribute()
    inmate_name = UnicodeAttribute()
    inmate_number = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_key = UnicodeAttribute()  # "<created, microseconds>#<contact_id>": orders the lists
    reason = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    by_review_key = ContactsByReviewKey()
    by_account = ContactsByAccount()
    by_approved_inmate = ApprovedContactsByInmate()


@register
class ContactClaim(Model):
    class Meta(BaseMeta):
        table_name = TableName("contact-claims")

    pair = UnicodeAttribute(hash_key=True)  # "<account_id>#<inmate_id>"
    contact_id = UnicodeAttribute()


def review_key(facility_id: str, status: str) -> str:
    return f"{facility_id}#{status}"


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


class MessagesByInbox(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_inbox"
        projection = AllProjection()

    inbox_inmate_id = UnicodeAttribute(hash_key=True)
    sent_key = UnicodeAttribute(range_key=True)


@register
class Message(Model):
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
    rejection_reason = UnicodeAttribute(null=True)
    read_at = UnicodeAttribute(null=True)
    by_family_thread = MessagesByFamilyThread()
    by_review_queue = MessagesByReviewQueue()
    by_inbox = MessagesByInbox()


# --- review log and idempotency ------------------------------------------------------------

@register
@append_only
class ReviewEntry(Model):
    class Meta(BaseMeta):
        table_name = TableName("review-log")

    subject = UnicodeAttribute(hash_key=True)  # "message#<id>" or "contact#<id>"
    entry_key = UnicodeAttribute(range_key=True)  # "<time, microseconds>#<action>"
    at = UnicodeAttribute()
    action = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    from_status = UnicodeAttribute()
    to_status = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    watch_words = ListAttribute(of=UnicodeAttribute, default=list)


@register
class IdempotencyRecord(ExpiringModel):
    class Meta(BaseMeta):
        table_name = TableName("messaging-idempotency")

    key = UnicodeAttribute(hash_key=True)  # "<sender id>#<Idempotency-Key>"
    request_digest = UnicodeAttribute()
    status_code = NumberAttribute()
    response = UnicodeAttribute()  # the JSON body first returned
    by_expiry = ByExpiry()

    def replay(self) -> tuple[int, dict]:
        return int(self.status_code), json.loads(self.response)


# --- errors the services translate ---------------------------------------------------------

class ContactExists(Exception):
    def __init__(self, contact_id: str | None) -> None:
        super().__init__(contact_id)
        self.contact_id = contact_id


class StateChanged(Exception):
    """The item was no longer in the state the transition requires."""


class StampsShort(Exception):
    """The stamp balance was not what the send expected (spent or credited meanwhile)."""


class IdempotencyKeyTaken(Exception):
    """A concurrent request with the same key committed first."""


class TrackedTransaction(TransactWrite):
    """A ``TransactWrite`` that remembers which model each item is, so a cancelled transaction
    can say *which* condition failed (a short stamp balance is a 402, a taken idempotency key a
    replay, a changed state a 409).

    DynamoDB's cancellation reasons are listed in the order of the request's items, and PynamoDB
    sends condition checks, then deletes, then puts, then updates; the same grouping is kept here.
    """

    def __init__(self) -> None:
        super().__init__(connection=transaction_connection())
        self._models: dict[str, list[type]] = {"check": [], "delete": [], "put": [], "update": []}

    def condition_check(self, model_cls, hash_key, range_key=None, condition=None):
        self._models["check"].append(model_cls)
        return super().condition_check(model_cls, hash_key, range_key, condition)

    def delete(self, model, condition=None, **kwargs):
        self._models["delete"].append(type(model))
        return super().delete(model, condition, **kwargs)

    def save(self, model, condition=None, return_values=None):
        self._models["put"].append(type(model))
        return super().save(model, condition, return_values)

    def update(self, model, actions, condition=None, **kwargs):
        self._models["update"].append(type(model))
        return super().update(model, actions, condition, **kwargs)

    def failed_models(self, error: TransactWriteError) -> set[type]:
        if aws_error_code(error) != "TransactionCanceledException":
            return set()
        order = [m for group in ("check", "delete", "put", "update") for m in self._models[group]]
        return {model for model, reason in zip(order, error.cancellation_reasons)
                if reason is not None and reason.code == "ConditionalCheckFailed"}


def _commit(build, on_failure: dict[type, Exception]) -> None:
    """Run the transaction ``build`` fills; map a failed condition on a model to its error."""
    transaction = TrackedTransaction()
    try:
        with transaction:
            build(transaction)
    except TransactWriteError as error:
        failed = transaction.failed_models(error)
        for model, mapped in on_failure.items():
            if model in failed:
                raise mapped from None
        raise


def _append_entry(transaction: TransactWrite, entry: ReviewEntry) -> None:
    transaction.save(entry, condition=ReviewEntry.entry_key.does_not_exist())


# --- contact writes and reads --------------------------------------------------------------

def create_contact(contact: Contact) -> None:
    claim = ContactClaim(f"{contact.account_id}#{contact.inmate_id}", contact_id=contact.contact_id)

    def build(transaction):
        transaction.save(claim, condition=ContactClaim.pair.does_not_exist())
        transaction.save(contact, condition=Contact.contact_id.does_not_exist())

    try:
        _commit(build, {ContactClaim: ContactExists(None)})
    except ContactExists:
        existing = _get(ContactClaim, claim.pair)
        raise ContactExists(existing.contact_id if existing else None) from None


def decide_contact(contact: Contact, to_status: str, entry: ReviewEntry) -> None:
    actions = [Contact.status.set(to_status),
               Contact.review_key.set(review_key(contact.facility_id, to_status)),
               Contact.decided_at.set(entry.at), Contact.decided_by.set(entry.actor_id)]
    if entry.reason is not None:
        actions.append(Contact.reason.set(entry.reason))
    if to_status == states.CONTACT_APPROVED:
        actions.append(Contact.approved_inmate_id.set(contact.inmate_id))

    def build(transaction):
        transaction.update(contact, actions=actions,
                           condition=Contact.status == states.CONTACT_PENDING)
        _append_entry(transaction, entry)

    _commit(build, {Contact: StateChanged()})


def contact(contact_id: str) -> Contact | None:
    return _get(Contact, contact_id)


def contacts_of_account(account_id: str, limit: int, cursor: str | None, render) -> dict:
    return _page(Contact.by_account, account_id, limit, cursor, render, newest_first=True)


def contacts_in_review(facility_id: str, status: str, limit: int, cursor: str | None,
                       render) -> dict:
    return _page(Contact.by_review_key, review_key(facility_id, status), limit, cursor, render,
                 newest_first=False)


def approved_contacts_of_inmate(inmate_id: str, limit: int, cursor: str | None, render) -> dict:
    return _page(Contact.by_approved_inmate, inmate_id, limit, cursor, render, newest_first=True)


# --- message writes ------------------------------------------------------------------------

@dataclass
class SendSnapshot:
    """What a send needs besides the contact, read in one consistent TransactGetItems call."""

    facility: Facility
    balance: int | None  # the payer's stamps at the facility (None when nobody pays)
    earlier: IdempotencyRecord | None


def send_snapshot(facility_id: str, payer_account_id: str | None,
                  idempotency_key: str | None) -> SendSnapshot:
    reads = TransactGet(connection=transaction_connection())
    with reads:
        facility_future = reads.get(Facility, facility_id)
        balance_future = reads.get(StampBalance, payer_account_id, facility_id) \
            if payer_account_id else None
        earlier_future = reads.get(IdempotencyRecord, idempotency_key) if idempotency_key else None
    earlier = _resolved(earlier_future)
    if earlier is not None and earlier.is_expired():
        earlier = None
    balance = _resolved(balance_future)
    return SendSnapshot(
        facility=facility_future.get(),
        balance=None if balance_future is None else int(balance.balance if balance else 0),
        earlier=earlier,
    )


def store_sent_message(message: Message, *, expected_balance: int | None,
                       idempotency: IdempotencyRecord | None, entry: ReviewEntry | None,
                       activity_event: ActivityEvent | None) -> None:
    """Store ``message``, spend its stamps and keep the idempotency record, all or nothing.

    ``expected_balance`` is the balance the sender's snapshot saw: the spend is conditioned on
    it so ``stamps_left`` is exact; ``StampsShort`` tells the caller to look again.
    ``entry`` is the review log line of an automatic decision; the sender's activity event is
    saved only if the message is.
    """
    def build(transaction):
        transaction.save(message, condition=Message.message_id.does_not_exist())
        if message.stamps_spent:
            stamps.spend(transaction, message.payer_account_id, message.facility_id,
                         message.stamps_spent, expected_balance=expected_balance)
        if idempotency is not None:
            transaction.save(idempotency, condition=IdempotencyRecord.key.does_not_exist()
                             | (IdempotencyRecord.expires_at <= int(clock.now())))
        if entry is not None:
            _append_entry(transaction, entry)
        if activity_event is not None:
            transaction.save(activity_event, condition=activity.APPEND_ONLY)

    _commit(build, {IdempotencyRecord: IdempotencyKeyTaken(), StampBalance: StampsShort()})


def decide_message(message: Message, to_status: str, entry: ReviewEntry) -> None:
    """Move a message out of review; a rejection refunds its stamps in the same transaction."""
    actions = [Message.status.set(to_status),
               Message.review_key.set(review_key(message.facility_id, to_status)),
               Message.decided_at.set(entry.at)]
    if to_status == states.REJECTED:
        actions.append(Message.rejection_reason.set(entry.reason))
    elif message.direction == states.TO_INMATE:
        actions.append(Message.inbox_inmate_id.set(message.inmate_id))
    else:
        actions.append(Message.family_thread_id.set(message.contact_id))

    def build(transaction):
        transaction.update(message, actions=actions,
                           condition=Message.status == states.PENDING_REVIEW)
        if to_status == states.REJECTED and message.stamps_spent:
            stamps.credit(transaction, message.payer_account_id, message.facility_id,
                          message.stamps_spent)
        _append_entry(transaction, entry)

    _commit(build, {Message: StateChanged()})


def mark_read(message: Message) -> bool:
    """Delivered -> read; False when someone else marked it first (nothing to do)."""
    now = clock.iso()
    try:
        message.update(actions=[Message.status.set(states.READ), Message.read_at.set(now),
                                Message.review_key.set(review_key(message.facility_id,
                                                                  states.READ))],
                       condition=Message.status == states.DELIVERED)
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


# --- message reads -------------------------------------------------------------------------

def message(message_id: str) -> Message | None:
    return _get(Message, message_id)


def family_thread(contact_id: str, limit: int, cursor: str | None, render) -> dict:
    return _page(Message.by_family_thread, contact_id, limit, cursor, render, newest_first=True)


def review_queue(facility_id: str, status: str, limit: int, cursor: str | None, render) -> dict:
    return _page(Message.by_review_queue, review_key(facility_id, status), limit, cursor, render,
                 newest_first=False)


def inbox(inmate_id: str, limit: int, cursor: str | None, render) -> dict:
    return _page(Message.by_inbox, inmate_id, limit, cursor, render, newest_first=True)


def review_trail(subject: str) -> list[ReviewEntry]:
    """A subject's whole log: a handful of lines (one per decision), so no pagination."""
    return list(ReviewEntry.query(subject, consistent_read=True))


# --- inmates (kiosk sign-in) ---------------------------------------------------------------

def inmate_by_number(facility_id: str, inmate_number: str) -> Inmate | None:
    """The index gives the key; the item is then read consistently so a new PIN counts at once."""
    for key_only in Inmate.by_facility_number.query(facility_id,
                                                     Inmate.inmate_number == inmate_number,
                                                     limit=1):
        return _get(Inmate, key_only.inmate_id)
    return None


# --- helpers -------------------------------------------------------------------------------

def _get(model: type[Model], hash_key: str, range_key: str | None = None):
    try:
        return model.get(hash_key, range_key, consistent_read=True)
    except DoesNotExist:
        return None


def _resolved(future):
    if future is None:
        return None
    try:
        return future.get()
    except DoesNotExist:
        return None


def _page(index, hash_value: str, limit: int, cursor: str | None, render, *,
          newest_first: bool) -> dict:
    scope = f"{index.Meta.index_name}:{hash_value}"
    results = index.query(hash_value, scan_index_forward=not newest_first, limit=limit,
                          last_evaluated_key=decode_cursor(cursor, scope))
    return page(results, scope, render)

