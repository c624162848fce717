"""Photos and VideoGrams attached to messages: upload slots on a private bucket, content checks
(real type, re-encoding without metadata, pixel and length bounds), thumbnails, and viewing
URLs for the family, the inmate and the reviewing staff.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
Its names load on first use and its registrations before a registry is read
(``core.lazy``): importing the face costs a cold start nothing.
"""
from chalicelib.core import lazy

__all__ = ["Attachment", "AttachmentAlreadyUsed", "PHOTO", "VIDEOGRAM", "claim",
           "ensure_bucket", "for_send", "reason_text", "sent", "viewing_urls",
           # privacy keeps a family's data export in the same private bucket
           "store_export", "export_url", "delete_export"]

__getattr__ = lazy.face(__name__, {
    "objects": "delete_export, ensure_bucket, export_url, store_export",
    "service": "AttachmentAlreadyUsed, claim, for_send, reason_text, sent, viewing_urls",
    "states": "PHOTO, VIDEOGRAM",
    "store": "Attachment",
})
lazy.register_later("datarights", "chalicelib.media.datarights")
