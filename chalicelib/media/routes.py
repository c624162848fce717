"""HTTP routes of photos and VideoGrams (docs/api.md "Photos and VideoGrams").

Families only, on their own approved contacts; another family's contact or attachment answers
404 (its existence is private).  What the inmate and staff see of a file rides on the messages
(messaging's routes), with the same 5-minute viewing URLs.
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.media import states
from chalicelib.core import lazy
from chalicelib.web.endpoint import ApiRequest, Example, endpoint
from chalicelib.web.schema import NULLABLE_STRING, integer, named, obj, string

service = lazy.module("chalicelib.media.service")

bp = Blueprint(__name__)

FAMILY = ("family",)
NULLABLE_NUMBER = {"type": ["number", "null"]}
ATTACHMENT = named(
    "Attachment",
    obj(
        {"attachment_id": string(), "kind": string(enum=list(states.Kind)),
         "status": string(enum=list(states.AttachmentStatus))},
        {
            "contact_id": string(),
            "reason": NULLABLE_STRING,
            "reason_text": NULLABLE_STRING,
            "media_type": NULLABLE_STRING,
            "width": {"type": ["integer", "null"]},
            "height": {"type": ["integer", "null"]},
            "duration_seconds": NULLABLE_NUMBER,
            "message_id": NULLABLE_STRING,
            "created_at": string(),
            "url": string(),
            "thumbnail_url": string(),
            "upload": obj({"url": string(), "fields": {"type": "object"}}),
            "expires_at": string(),
        },
    ),
)
ATTACHMENT_EXAMPLE = {
    "attachment_id": "att_5tH8qL2wX9mR4vN7pZ1kYA",
    "contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA",
    "kind": "photo",
    "status": "awaiting_upload",
    "reason": None,
    "reason_text": None,
    "media_type": None,
    "width": None,
    "height": None,
    "duration_seconds": None,
    "message_id": None,
    "created_at": "2026-12-01T15:18:40Z",
}


@endpoint(bp, "POST", "/v1/contacts/{contact_id}/attachments",
          summary="Ask for an upload slot (photo or VideoGram)", tag="messages", roles=FAMILY,
          body=obj({"kind": string(enum=list(states.Kind)), "content_type": string(1, 100),
                    "size_bytes": integer(1, 1024 ** 3)}),
          status=201, response=ATTACHMENT,
          problems=("contact_not_found", "contact_not_approved"),
          description=(
              "Returns an S3 presigned POST for one photo (JPEG or PNG, at most 10 MB) or one "
              "VideoGram (MP4, at most 50 MB and 30 seconds) for an approved contact. Send the "
              "file as multipart/form-data to `upload.url` with every field of `upload.fields` "
              "and the file last, within 15 minutes; the slot takes one object, of at most "
              "`size_bytes`. The file is then checked and cleaned (its real type read from its "
              "bytes, photos re-encoded without any metadata, the VideoGram's length read from "
              "the container); read the outcome with GET .../attachments/{attachment_id}. HEIC "
              "is not accepted (400): send JPEG."),
          example=Example(
              params={"contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA"},
              request={"kind": "photo", "content_type": "image/jpeg", "size_bytes": 2_481_337},
              response={
                  **ATTACHMENT_EXAMPLE,
                  "upload": {
                      "url": "https://kinlink-prod-media-123456789012.s3.amazonaws.com/",
                      "fields": {"Content-Type": "image/jpeg",
                                 "key": "uploads/att_5tH8qL2wX9mR4vN7pZ1kYA",
                                 "x-amz-algorithm": "AWS4-HMAC-SHA256",
                                 "x-amz-credential": "ASIA.../20261201/us-east-1/s3/aws4_request",
                                 "x-amz-date": "20261201T151840Z",
                                 "x-amz-security-token": "IQoJb3JpZ2luX2Vj...",
                                 "policy": "eyJleHBpcmF0aW9uIjogIjIwMjYtMTIt...",
                                 "x-amz-signature": "5b0f4e1c..."},
                  },
                  "expires_at": "2026-12-01T15:33:40Z",
              },
          ))
def create_upload(request: ApiRequest, contact_id: str):
    body = request.body
    return service.create_upload(request.principal, contact_id, body["kind"],
                                 body["content_type"], body["size_bytes"])


@endpoint(bp, "GET", "/v1/contacts/{contact_id}/attachments/{attachment_id}",
          summary="An attachment's status (and viewing URLs once ready)", tag="messages",
          roles=FAMILY, response=ATTACHMENT,
          problems=("contact_not_found", "attachment_not_found"),
          description=(
              "`awaiting_upload` until the file arrives, then `ready` (with 5-minute viewing URLs "
              "of the cleaned file and its thumbnail) or `rejected` with a `reason` code and its "
              "words (`reason_text`): `not_a_photo`, `not_a_videogram`, `heic_not_supported`, "
              "`unreadable`, `too_many_pixels`, `too_long`, `larger_than_declared`."),
          example=Example(
              params={"contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA",
                      "attachment_id": "att_5tH8qL2wX9mR4vN7pZ1kYA"},
              response={
                  **ATTACHMENT_EXAMPLE,
                  "status": "ready",
                  "media_type": "image/jpeg",
                  "width": 3024,
                  "height": 4032,
                  "url": "https://kinlink-prod-media-123456789012.s3.amazonaws.com/media/"
                         "att_5tH8qL2wX9mR4vN7pZ1kYA?X-Amz-Expires=300&X-Amz-Signature=...",
                  "thumbnail_url": "https://kinlink-prod-media-123456789012.s3.amazonaws.com/"
                                   "thumbs/att_5tH8qL2wX9mR4vN7pZ1kYA?X-Amz-Expires=300&...",
              },
          ))
def attachment_status(request: ApiRequest, contact_id: str, attachment_id: str):
    return service.attachment_status(request.principal, contact_id, attachment_id)
