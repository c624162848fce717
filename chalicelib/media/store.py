"""The attachments table, and the conditional writes that move an attachment along.

An unsent attachment expires a day after its slot was issued (the hourly clean-up deletes the
record; the bucket's lifecycle deletes its files); the send's transaction clears that expiry
when it claims the attachment for its message.
Why: docs/decisions/media.md
"""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.core import clock
from chalicelib.core.store import (BaseMeta, ByExpiry, ExpiringModel, TableName, get_or_none,
                                   register, written)
from chalicelib.media import states


class AttachmentsByAccount(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


@register
class Attachment(ExpiringModel):
    class Meta(BaseMeta):
        table_name = TableName("attachments")

    attachment_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()  # the family member who uploads and sends it
    contact_id = UnicodeAttribute()
    facility_id = UnicodeAttribute()
    inmate_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # states.PHOTO | states.VIDEOGRAM
    declared_type = UnicodeAttribute()
    declared_bytes = NumberAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_key = UnicodeAttribute()  # "<created, microseconds>#<attachment_id>"
    processing_until = NumberAttribute(null=True)  # the lease of the request processing it
    reason = UnicodeAttribute(null=True)  # states.REASONS key when rejected
    detected_type = UnicodeAttribute(null=True)
    media_type = UnicodeAttribute(null=True)
    width = NumberAttribute(null=True)
    height = NumberAttribute(null=True)
    duration_seconds = NumberAttribute(null=True)
    message_id = UnicodeAttribute(null=True)  # the one message that carries it
    by_account = AttachmentsByAccount()
    by_expiry = ByExpiry()


class AlreadyUsed(Exception):
    """The attachment was claimed by another message (or is not ready) at commit time."""


def attachment(attachment_id: str) -> Attachment | None:
    return get_or_none(Attachment, attachment_id)


def start_processing(item: Attachment, lease_seconds: int) -> bool:
    """Take the processing lease: from ``awaiting_upload``, or from a lapsed lease."""
    now = clock.now()
    return written(lambda: item.update(
        actions=[Attachment.status.set(states.PROCESSING),
                 Attachment.processing_until.set(int(now + lease_seconds))],
        condition=(Attachment.status == states.AWAITING_UPLOAD)
        | ((Attachment.status == states.PROCESSING) & (Attachment.processing_until < int(now)))))


def finish(item: Attachment, status: str, **found) -> None:
    """Processing done: ``ready`` with what was found, or ``rejected`` with a reason (nothing
    when another request, whose lease followed a lapsed one, finished first)."""
    actions = [Attachment.status.set(status), Attachment.processing_until.remove()]
    actions += [getattr(Attachment, name).set(value) for name, value in found.items()
                if value is not None]
    written(lambda: item.update(actions=actions,
                                condition=Attachment.status == states.PROCESSING))


def claim(transaction, item: Attachment, message_id: str) -> None:
    """In the send's transaction: this attachment now belongs to ``message_id`` (refused when
    another message has it or it is not ready); it no longer expires."""
    transaction.update(item, actions=[Attachment.message_id.set(message_id),
                                      Attachment.expires_at.remove(),
                                      Attachment.expiry_bucket.remove(),
                                      Attachment.ttl.remove()],
                       condition=(Attachment.status == states.READY)
                       & Attachment.message_id.does_not_exist()
                       & (Attachment.account_id == item.account_id))


def of_account(account_id: str) -> list[Attachment]:
    return list(Attachment.by_account.query(account_id))
