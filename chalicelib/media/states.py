"""The kinds of attachment, their states, and the reasons a file is refused.

An attachment waits for its upload, is processed once (``processing`` holds a short lease so
two requests never process it twice), and ends ``ready`` or ``rejected``; a ready one is used
by at most one message (``message_id``, set in the send's transaction).  ``StrEnum``: each
member is the very string stored and sent.
"""
from __future__ import annotations

from enum import StrEnum

from chalicelib.core.i18n import N_


class Kind(StrEnum):
    PHOTO = "photo"
    VIDEOGRAM = "videogram"


class AttachmentStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    PROCESSING = "processing"
    READY = "ready"
    REJECTED = "rejected"


PHOTO, VIDEOGRAM = Kind
AWAITING_UPLOAD, PROCESSING, READY, REJECTED = AttachmentStatus

# Reason codes (never translated) and the sentence each stands for (translated when shown).
NOT_A_PHOTO = "not_a_photo"
NOT_A_VIDEOGRAM = "not_a_videogram"
HEIC_NOT_SUPPORTED = "heic_not_supported"
UNREADABLE = "unreadable"
TOO_MANY_PIXELS = "too_many_pixels"
TOO_LONG = "too_long"
LARGER_THAN_DECLARED = "larger_than_declared"
REASONS = {
    NOT_A_PHOTO: N_("The file is not a JPEG or PNG photo."),
    NOT_A_VIDEOGRAM: N_("The file is not an MP4 video."),
    HEIC_NOT_SUPPORTED: N_("HEIC photos are not accepted yet; send the photo as JPEG (most "
                           "phones can share a photo as JPEG)."),
    UNREADABLE: N_("The file is damaged or incomplete and cannot be read."),
    TOO_MANY_PIXELS: N_("The photo has too many pixels."),
    TOO_LONG: N_("The VideoGram is longer than 30 seconds."),
    LARGER_THAN_DECLARED: N_("The file is larger than the size declared for it."),
}
