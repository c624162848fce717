"""Photos and VideoGrams attached to messages: upload slots on a private bucket, content checks
(real type, re-encoding without metadata, pixel and length bounds), thumbnails, and viewing
URLs for the family, the inmate and the reviewing staff.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
"""
from chalicelib.media.objects import delete_export, ensure_bucket, export_url, store_export
from chalicelib.media import datarights as _datarights  # noqa: F401 (registers its Holding)
from chalicelib.media.service import (AttachmentAlreadyUsed, claim, for_send, reason_text, sent,
                                      viewing_urls)
from chalicelib.media.states import PHOTO, VIDEOGRAM
from chalicelib.media.store import Attachment


__all__ = ["Attachment", "AttachmentAlreadyUsed", "PHOTO", "VIDEOGRAM", "claim",
           "ensure_bucket", "for_send", "reason_text", "sent", "viewing_urls",
           # privacy keeps a family's data export in the same private bucket
           "store_export", "export_url", "delete_export"]
