"""HTTP routes of eMessaging (docs/api.md "Messages").

Who may call what: families their own threads; staff their own facility's queue and decisions;
inmates (kiosk sessions, from a registered kiosk) their own inbox and replies.  Any other role
gets 403, and another party's contact or message id answers 404 (its existence is private).
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.facilities import INMATE_ROLE
from chalicelib.messaging import states
from chalicelib.core import lazy
from chalicelib.web.endpoint import KIOSK_KEY, PAGINATION, ApiRequest, Example, endpoint
from chalicelib.web.schema import (NULLABLE_STRING, integer, named, obj, page_of, string,
                                  written_text)

claims = lazy.module("chalicelib.messaging.claims")
messages = lazy.module("chalicelib.messaging.messages")

bp = Blueprint(__name__)

DEFAULT_LIMIT = 20
MAX_BODY_CHARS = 6000
FAMILY, STAFF, INMATE = ("family",), ("staff",), (INMATE_ROLE,)

# Any Unicode: 6000 characters JSON-escaped as "\uXXXX\uXXXX" (12 bytes each) plus the envelope.
MESSAGE_REQUEST_MAX_BYTES = MAX_BODY_CHARS * 12 + 1024
MESSAGE_BODY = written_text(1, MAX_BODY_CHARS)
ID = string(1, 64)
REASON = written_text(1, 500)
MESSAGE = named(
    "Message",
    obj(
        {"message_id": string(), "status": string(enum=list(states.MESSAGE_STATUSES))},
        {
            "contact_id": string(),
            "direction": string(),
            "body": string(),
            "rejection_reason": NULLABLE_STRING,
            "rejection_reason_code": NULLABLE_STRING,
            "sent_at": string(),
            "decided_at": NULLABLE_STRING,
            "read_at": NULLABLE_STRING,
            "family_name": string(),
            "inmate_id": string(),
            "inmate_name": string(),
            "facility_id": string(),
            "account_id": string(),
            "flagged": {"type": "boolean"},
            "watch_words": {"type": "array", "items": string()},
            "stamps_spent": {"type": "integer"},
            "stamps_left": {"type": "integer"},
            "review_log": {"type": "array", "items": {"type": "object"}},
            "parts": {"type": "array", "items": named("MessagePart", obj(
                {"part": string(), "kind": string(), "status": string()},
                {"stamps": {"type": "integer"}, "reason_code": NULLABLE_STRING,
                 "reason": NULLABLE_STRING, "url": string(), "thumbnail_url": string()}))},
        },
    ),
)
# Photos and VideoGrams ride on a message by their ids (POST .../attachments made them).
ATTACHMENT_IDS = {"type": "array", "maxItems": 5, "items": ID}
PART_DECISIONS = {"type": "array", "maxItems": 6, "items": obj(
    {"part": ID, "decision": string(enum=list(states.MESSAGE_DECISIONS))}, {"reason": REASON})}


def _page_args(request: ApiRequest) -> tuple[int, str | None]:
    return request.query.get("limit", DEFAULT_LIMIT), request.query.get("cursor")


# --- family messages -----------------------------------------------------------------------

# Examples for the document (docs/api.md, GET /docs), shared by the operations that show them.
FAMILY_MESSAGE_EXAMPLE = {
    "message_id": "msg_3kP8wN2qX7vL1mR9tZ4bHA",
    "contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA",
    "direction": "to_inmate",
    "body": "Happy birthday, Marcus! See you Sunday.",
    "status": "pending_review",
    "rejection_reason": None,
    "sent_at": "2026-12-01T15:20:04Z",
    "decided_at": None,
    "read_at": None,
}

STAFF_MESSAGE_EXAMPLE = {
    **FAMILY_MESSAGE_EXAMPLE,
    "facility_id": "demo-county",
    "account_id": "acc_Q2hL9xv7RkT1mWb3ZpN5eA",
    "family_name": "Dana Lee",
    "inmate_id": "inm_A1001",
    "inmate_name": "Marcus Johnson",
    "flagged": False,
    "watch_words": [],
    "stamps_spent": 1,
}


@endpoint(bp, "POST", "/v1/contacts/{contact_id}/messages", summary="Send a message (1 stamp)",
          tag="messages", roles=FAMILY,
          body=obj(optional={"body": MESSAGE_BODY, "attachment_ids": ATTACHMENT_IDS}),
          status=201, response=MESSAGE, max_body_bytes=MESSAGE_REQUEST_MAX_BYTES,
          idempotent=True,
          problems=("contact_not_found", "contact_not_approved", "insufficient_stamps",
                    "attachment_not_found", "attachment_not_ready", "attachment_rejected",
                    "attachment_already_used"),
          description=(
              "Sends a message to the inmate of an approved contact, for one stamp of the inmate's "
              "facility. It waits in the facility's review queue (`pending_review`) until staff "
              'approve or reject it; the family is emailed the outcome. Requires an `Idempotency- '
              'Key`: a retry with the same key and text sends nothing twice. With '
              "`attachment_ids` (up to 5 photos, or 1 VideoGram, each uploaded through POST "
              ".../attachments) the text is optional and each attachment costs the facility's "
              "price per photo or VideoGram, charged with the text in one transaction; a file "
              "not processed yet answers 409 `attachment_not_ready`, a refused one 422 "
              "`attachment_rejected` with `errors: [{attachment_id, reason}]`, one already sent "
              "409 `attachment_already_used`, and nothing is charged."),
          example=Example(
              params={
                  "contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA",
                  "Idempotency-Key": "9b1f4c7e-msg-2026-12-01-001",
              },
              request={"body": "Happy birthday, Marcus! See you Sunday."},
              response={
                  **FAMILY_MESSAGE_EXAMPLE,
                  "stamps_spent": 1,
                  "stamps_left": 9,
              },
          ))
def send_message(request: ApiRequest, contact_id: str):
    return messages.send_to_inmate(request.principal, contact_id, request.body.get("body", ""),
                                   request.idempotency_key, request.client,
                                   request.body.get("attachment_ids"))


@endpoint(bp, "GET", "/v1/contacts/{contact_id}/messages", summary="A thread, newest first",
          tag="messages", roles=FAMILY, query=obj(optional=PAGINATION),
          response=page_of(MESSAGE), problems=("contact_not_found",),
          description=(
              "The family's thread with one contact, newest first, in both directions, with each "
              "message's status (and the rejection reason when rejected)."),
          example=Example(
              params={"contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA", "limit": 20},
              response={
                  "items": [
                      FAMILY_MESSAGE_EXAMPLE
                  ],
                  "next_cursor": None,
              },
          ))
def thread(request: ApiRequest, contact_id: str):
    return messages.family_thread(request.principal, contact_id, *_page_args(request))


# --- staff review --------------------------------------------------------------------------

@endpoint(bp, "GET", "/v1/staff/messages", summary="Review queue of my facility, oldest first",
          tag="staff", roles=STAFF,
          query=obj(optional={**PAGINATION,
                              "status": string(enum=list(states.MESSAGE_STATUSES))}),
          response=page_of(MESSAGE),
          description=(
              "Staff see their facility's messages in one status (`pending_review` by default), "
              'oldest first, with the watch words each one matched.'),
          example=Example(
              params={"status": "pending_review", "limit": 20},
              response={
                  "items": [
                      STAFF_MESSAGE_EXAMPLE
                  ],
                  "next_cursor": None,
              },
          ))
def review_queue(request: ApiRequest):
    return messages.review_queue(request.principal,
                                 request.query.get("status", states.PENDING_REVIEW),
                                 *_page_args(request))


@endpoint(bp, "POST", "/v1/staff/review-claims",
          summary="Claim a batch of pending messages to review (a short lease)", tag="staff",
          roles=STAFF, body=obj(optional={"limit": integer(1, 50)}),
          response=obj({"items": {"type": "array", "items": MESSAGE},
                        "lease_expires_at": string()}),
          description=(
              "Leases up to `limit` (default 10) of the facility's pending messages, oldest "
              "first, to the calling reviewer for five minutes: other reviewers' claims skip "
              "them, so reviewers working side by side never meet `already_decided`. Decide "
              "them as usual; a lease that lapses frees its messages for the next claim. An "
              "empty `items` means nothing is waiting."),
          example=Example(
              request={"limit": 10},
              response={"items": [STAFF_MESSAGE_EXAMPLE],
                        "lease_expires_at": "2026-12-01T16:07:37Z"}))
def claim_for_review(request: ApiRequest):
    return claims.claim(request.principal, request.body.get("limit", 10),
                        messages.render_for_staff)


@endpoint(bp, "GET", "/v1/staff/messages/{message_id}", summary="A message and its review log",
          tag="staff", roles=STAFF, response=MESSAGE, problems=("message_not_found",),
          description=(
              "One message of the staff's facility with its review log (who decided what, when, "
              'why).'),
          example=Example(
              params={"message_id": "msg_3kP8wN2qX7vL1mR9tZ4bHA"},
              response={
                  **STAFF_MESSAGE_EXAMPLE,
                  "review_log": [
                      {
                          "at": "2026-12-01T15:20:04Z",
                          "action": "message_sent",
                          "actor_id": "acc_Q2hL9xv7RkT1mWb3ZpN5eA",
                          "actor_role": "family",
                          "from_status": None,
                          "to_status": "pending_review",
                          "reason": None,
                          "note": None,
                          "watch_words": [],
}
                  ],
              },
          ))
def staff_message(request: ApiRequest, message_id: str):
    return messages.staff_view(request.principal, message_id)


@endpoint(bp, "POST", "/v1/staff/messages/{message_id}/decision",
          summary="Approve or reject a message", tag="staff", roles=STAFF,
          body=obj(optional={"decision": string(enum=list(states.MESSAGE_DECISIONS)),
                             "reason": REASON, "note": written_text(1, 2000),
                             "parts": PART_DECISIONS}),
          response=MESSAGE,
          problems=("message_not_found", "already_decided", "invalid_rejection_reason"),
          description=(
              "Staff approve a pending message (delivered to the inmate's kiosk) or reject it with "
              "one of the facility's rejection reasons (the family's stamp is refunded). A decided "
              'message answers 409 `already_decided`. A message with photos or a VideoGram may be '
              'decided part by part instead: `parts: [{part: "text"|<attachment_id>, decision, '
              "reason?}]` names each part once; rejected parts are refunded, approved ones "
              "delivered (the message is `delivered` when any part is). Send `decision` or "
              "`parts`, not both."),
          example=Example(
              params={"message_id": "msg_3kP8wN2qX7vL1mR9tZ4bHA"},
              request={"decision": "approve", "note": "Birthday wishes."},
              response={
                  **STAFF_MESSAGE_EXAMPLE,
                  "status": "delivered",
                  "decided_at": "2026-12-01T16:02:37Z",
              },
          ))
def decide_message(request: ApiRequest, message_id: str):
    body = request.body
    return messages.decide(request.principal, message_id, body.get("decision"),
                           body.get("reason"), body.get("note"), body.get("parts"))


# --- inmate kiosk --------------------------------------------------------------------------

@endpoint(bp, "GET", "/v1/inmate/messages", summary="Messages delivered to me, newest first",
          tag="inmate", roles=INMATE, query=obj(optional=PAGINATION),
          response=page_of(MESSAGE), headers=(KIOSK_KEY,),
          description=(
              "The inmate's delivered messages, newest first (without their text: opening one reads "
              "it). Kiosk sessions only, with the kiosk's key."),
          example=Example(
              params={
                  "X-Kiosk-Key": "kio_demo.demo-kiosk-key-change-me-7Qm2xV9pL4tR8wZ1",
                  "limit": 20,
              },
              response={
                  "items": [
                      {
                          "message_id": "msg_3kP8wN2qX7vL1mR9tZ4bHA",
                          "contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA",
                          "family_name": "Dana Lee",
                          "sent_at": "2026-12-01T15:20:04Z",
                          "status": "delivered",
                      }
                  ],
                  "next_cursor": None,
              },
          ))
def inmate_inbox(request: ApiRequest):
    return messages.inmate_inbox(request.principal, *_page_args(request))


@endpoint(bp, "GET", "/v1/inmate/messages/{message_id}", summary="Open a message (marks it read)",
          tag="inmate", roles=INMATE, response=MESSAGE, problems=("message_not_found",),
          headers=(KIOSK_KEY,),
          description=(
              'Opens one delivered message with its text and marks it read.'),
          example=Example(
              params={
                  "message_id": "msg_3kP8wN2qX7vL1mR9tZ4bHA",
                  "X-Kiosk-Key": "kio_demo.demo-kiosk-key-change-me-7Qm2xV9pL4tR8wZ1",
              },
              response={
                  "message_id": "msg_3kP8wN2qX7vL1mR9tZ4bHA",
                  "contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA",
                  "family_name": "Dana Lee",
                  "sent_at": "2026-12-01T15:20:04Z",
                  "status": "read",
                  "body": "Happy birthday, Marcus! See you Sunday.",
                  "read_at": "2026-12-01T18:45:10Z",
              },
          ))
def inmate_open(request: ApiRequest, message_id: str):
    return messages.inmate_open(request.principal, message_id)


@endpoint(bp, "POST", "/v1/inmate/messages", summary="Reply to a contact", tag="inmate",
          roles=INMATE, body=obj({"contact_id": ID, "body": MESSAGE_BODY}), status=201,
          response=MESSAGE, max_body_bytes=MESSAGE_REQUEST_MAX_BYTES,
          headers=(KIOSK_KEY,), idempotent=True,
          problems=("contact_not_found", "contact_not_approved", "insufficient_stamps"),
          description=(
              'The inmate replies to an approved contact from the kiosk; the reply is reviewed like '
              "any message before the family sees it. Free unless the facility's rules make replies "
              'spend a family stamp.'),
          example=Example(
              params={
                  "X-Kiosk-Key": "kio_demo.demo-kiosk-key-change-me-7Qm2xV9pL4tR8wZ1",
                  "Idempotency-Key": "kiosk-reply-5c2e9a",
              },
              request={
                  "contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA",
                  "body": "Thank you! Sunday it is.",
              },
              response={
                  "message_id": "msg_8vQ2mL5xR1tN7pZ3wK9bYA",
                  "contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA",
                  "direction": "to_family",
                  "body": "Thank you! Sunday it is.",
                  "status": "pending_review",
                  "rejection_reason": None,
                  "sent_at": "2026-12-01T18:50:02Z",
                  "decided_at": None,
                  "read_at": None,
              },
          ))
def inmate_reply(request: ApiRequest):
    return messages.reply_to_family(request.principal, request.body["contact_id"],
                                    request.body["body"], request.idempotency_key, request.client)
