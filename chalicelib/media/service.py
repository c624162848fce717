"""Photos and VideoGrams: upload slots, processing (checks, re-encoding, thumbnails), the checks
a send makes before any stamp is spent, and viewing URLs.

Processing runs when the upload is first looked at (its status, or a send carrying it), under
a short lease so two requests never process one file twice; every rule is applied then, so a
send only ever carries files that passed.
Why: docs/decisions/media.md
"""
from __future__ import annotations

import logging

from chalicelib.config import get_settings
from chalicelib.contacts import CONTACT_APPROVED, ContactNotApproved, family_contact
from chalicelib.core import clock, dependencies, secrets
from chalicelib.core.errors import Conflict, InvalidRequest, NotFound, Unprocessable
from chalicelib.core.i18n import N_, _
from chalicelib.core.identity import Principal
from chalicelib.core.logs import log_event
from chalicelib.media import checks, objects, states, store
from chalicelib.media.store import Attachment

# Long enough to decode, re-encode and store a 50 MB file; a crashed request's lease lapses.
PROCESSING_LEASE_SECONDS = 60
PHOTO_TYPES = (checks.JPEG, checks.PNG)
VIDEOGRAM_TYPES = (checks.MP4,)
MAX_PHOTOS, MAX_VIDEOGRAMS = 5, 1


class AttachmentNotReady(Conflict):
    code = "attachment_not_ready"
    title = N_("Attachment not ready")


class AttachmentAlreadyUsed(Conflict):
    code = "attachment_already_used"
    title = N_("Attachment already sent")


class AttachmentRejected(Unprocessable):
    code = "attachment_rejected"
    title = N_("Attachment refused")


def attachment_not_found() -> NotFound:
    return NotFound(_("No such attachment."), code="attachment_not_found")


def reason_text(reason: str | None) -> str | None:
    return _(states.REASONS[reason]) if reason in states.REASONS else None


# --- upload slots --------------------------------------------------------------------------

def create_upload(principal: Principal, contact_id: str, kind: str, content_type: str,
                  size_bytes: int) -> dict:
    contact = family_contact(principal.account_id, contact_id)
    if contact.status != CONTACT_APPROVED:
        raise ContactNotApproved(_("Photos and VideoGrams can be sent only once the facility "
                                   "has approved this contact."))
    _check_declaration(kind, content_type.lower(), size_bytes)
    settings, now = get_settings(), clock.now()
    attachment_id = secrets.new_id("att_")
    item = Attachment(attachment_id, account_id=principal.account_id, contact_id=contact_id,
                      facility_id=contact.facility_id, inmate_id=contact.inmate_id, kind=kind,
                      declared_type=content_type.lower(), declared_bytes=size_bytes,
                      status=states.AWAITING_UPLOAD, created_at=clock.iso(now),
                      created_key=f"{clock.iso_precise(now)}#{attachment_id}")
    item.set_expiry(now + settings.media_unsent_seconds)
    item.save(condition=Attachment.attachment_id.does_not_exist())
    upload = objects.upload_slot(attachment_id, item.declared_type, size_bytes,
                                 settings.media_upload_seconds)
    return {**render(item), "upload": upload,
            "expires_at": clock.iso(now + settings.media_upload_seconds)}


def _check_declaration(kind: str, content_type: str, size_bytes: int) -> None:
    settings = get_settings()
    if kind == states.PHOTO:
        types, limit = PHOTO_TYPES, settings.photo_max_bytes
        if content_type in (checks.HEIC, "image/heif"):
            raise InvalidRequest(_(states.REASONS[states.HEIC_NOT_SUPPORTED]),
                                 errors=[{"field": "content_type", "problem": _(
                                     "HEIC is not accepted; use image/jpeg or image/png")}])
    else:
        types, limit = VIDEOGRAM_TYPES, settings.videogram_max_bytes
    if content_type not in types:
        raise InvalidRequest(_("content_type must be one of %(types)s for a %(kind)s.",
                               types=", ".join(types), kind=kind),
                             errors=[{"field": "content_type", "problem": _(
                                 "must be one of %(choices)s", choices=", ".join(types))}])
    if size_bytes > limit:
        raise InvalidRequest(_("size_bytes is above the limit of %(limit)s bytes for a %(kind)s.",
                               limit=limit, kind=kind),
                             errors=[{"field": "size_bytes", "problem": _(
                                 "must be at most %(limit)s", limit=limit)}])


# --- processing ----------------------------------------------------------------------------

def attachment_status(principal: Principal, contact_id: str, attachment_id: str) -> dict:
    """The family's own attachment (processed now if it has arrived), with viewing URLs once
    it is ready: the file is theirs, cleaned."""
    item = store.attachment(attachment_id)
    if item is None or item.account_id != principal.account_id or item.contact_id != contact_id:
        raise attachment_not_found()
    item = process(item)
    view = render(item)
    if item.status == states.READY:
        view.update(viewing_urls(item.attachment_id))
    return view


def process(item: Attachment) -> Attachment:
    """Check and keep an uploaded file, once; returns the attachment as it stands after."""
    lapsed = item.status == states.PROCESSING and (item.processing_until or 0) < clock.now()
    if item.status != states.AWAITING_UPLOAD and not lapsed:
        return item
    size = objects.uploaded_size(item.attachment_id)
    if size is None:
        return item
    if not store.start_processing(item, PROCESSING_LEASE_SECONDS):
        return store.attachment(item.attachment_id) or item
    settings = get_settings()
    try:
        if size > item.declared_bytes:
            raise checks.Rejected(states.LARGER_THAN_DECLARED)
        kept = checks.check(item.kind, objects.read_upload(item.attachment_id),
                            max_pixels=settings.photo_max_pixels,
                            max_seconds=settings.videogram_max_seconds)
    except checks.Rejected as rejected:
        objects.delete_upload(item.attachment_id)
        store.finish(item, states.REJECTED, reason=rejected.reason)
        log_event("attachment_rejected", attachment_id=item.attachment_id,
                  reason=rejected.reason)
    else:
        objects.keep(item.attachment_id, kept.media, kept.media_type, kept.thumbnail)
        store.finish(item, states.READY, detected_type=kept.detected_type,
                     media_type=kept.media_type, width=kept.width, height=kept.height,
                     duration_seconds=kept.duration_seconds)
        log_event("attachment_ready", attachment_id=item.attachment_id, kind=item.kind,
                  bytes_in=size, bytes_kept=len(kept.media))
    return store.attachment(item.attachment_id)


# --- sending (messaging calls these) -------------------------------------------------------

def for_send(account_id: str, contact_id: str, attachment_ids: list[str]) -> list[Attachment]:
    """The attachments a send may carry, checked before anything is charged: the sender's own
    for this contact (404), unused (409), processed and accepted (422 with each reason), ready
    (409), within the per-message counts (400)."""
    if len(set(attachment_ids)) != len(attachment_ids):
        raise InvalidRequest(_("attachment_ids must not repeat an attachment."),
                             errors=[{"field": "attachment_ids", "problem": _("must not repeat")}])
    items = []
    for attachment_id in attachment_ids:
        item = store.attachment(attachment_id)
        if item is None or item.account_id != account_id or item.contact_id != contact_id:
            raise attachment_not_found()
        items.append(item)
    used = [item.attachment_id for item in items if item.message_id]
    if used:
        raise AttachmentAlreadyUsed(_("This attachment was already sent with another message."),
                                    attachment_ids=used)
    items = [process(item) for item in items]
    rejected = [{"attachment_id": item.attachment_id, "reason": item.reason,
                 "problem": reason_text(item.reason)}
                for item in items if item.status == states.REJECTED]
    if rejected:
        raise AttachmentRejected(_("An attachment was refused: %(reason)s",
                                   reason=rejected[0]["problem"]), errors=rejected)
    waiting = [item.attachment_id for item in items if item.status != states.READY]
    if waiting:
        raise AttachmentNotReady(_("An attachment has not been uploaded or processed yet; try "
                                   "again in a moment."), attachment_ids=waiting)
    kinds = [item.kind for item in items]
    videograms = kinds.count(states.VIDEOGRAM)
    if videograms > MAX_VIDEOGRAMS or (videograms and len(kinds) > videograms) \
            or kinds.count(states.PHOTO) > MAX_PHOTOS:
        raise InvalidRequest(_("A message carries up to 5 photos, or 1 VideoGram."),
                             errors=[{"field": "attachment_ids", "problem": _(
                                 "up to 5 photos, or 1 VideoGram")}])
    return items


def claim(transaction, item: Attachment, message_id: str) -> None:
    store.claim(transaction, item, message_id)


def sent(items: list[Attachment]) -> None:
    """After the send committed: the files are kept (no longer expire as unsent).  Never fails
    the send (it is committed; a 503 would invite a duplicate)."""
    for item in items:
        try:
            objects.mark_sent(item.attachment_id)
        except Exception as error:
            if not dependencies.is_transient(error):
                raise
            log_event("attachment_mark_sent_failed", logging.ERROR,
                      attachment_id=item.attachment_id, **dependencies.describe(error))


# --- viewing -------------------------------------------------------------------------------

def viewing_urls(attachment_id: str) -> dict:
    """Presigned GETs (5 minutes) of the kept file and its thumbnail; callers decide who."""
    return objects.viewing_urls(attachment_id, get_settings().media_url_seconds)


def render(item: Attachment) -> dict:
    return {"attachment_id": item.attachment_id, "contact_id": item.contact_id,
            "kind": item.kind, "status": item.status, "reason": item.reason,
            "reason_text": reason_text(item.reason), "media_type": item.media_type,
            "width": _int(item.width), "height": _int(item.height),
            "duration_seconds": None if item.duration_seconds is None
            else float(item.duration_seconds),
            "message_id": item.message_id, "created_at": item.created_at}


def _int(value) -> int | None:
    return None if value is None else int(value)
