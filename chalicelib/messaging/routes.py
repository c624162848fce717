"""HTTP routes of eMessaging (api.md "eMessaging").

Who may call what: families their own threads; staff their own facility's queue and decisions;
inmates (kiosk sessions, from a registered kiosk) their own inbox and replies.  Any other role
gets 403, and another party's contact or message id answers 404 (its existence is private).
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.facilities import INMATE_ROLE
from chalicelib.messaging import messages, states
from chalicelib.web.endpoint import KIOSK_KEY, PAGINATION, ApiRequest, endpoint
from chalicelib.web.schema import NULLABLE_STRING, obj, page_of, string, written_text

bp = Blueprint(__name__)

DEFAULT_LIMIT = 20
FAMILY, STAFF, INMATE = ("family",), ("staff",), (INMATE_ROLE,)

# Any Unicode: 6000 characters JSON-escaped as "\uXXXX\uXXXX" (12 bytes each) plus the envelope.
MESSAGE_REQUEST_MAX_BYTES = messages.MAX_BODY_CHARS * 12 + 1024
MESSAGE_BODY = written_text(1, messages.MAX_BODY_CHARS)
ID = string(1, 64)
REASON = written_text(1, 500)
MESSAGE = obj({"message_id": string(), "status": string(enum=list(states.MESSAGE_STATUSES))},
              {"contact_id": string(), "direction": string(), "body": string(),
               "rejection_reason": NULLABLE_STRING, "rejection_reason_code": NULLABLE_STRING,
               "sent_at": string(),
               "decided_at": NULLABLE_STRING, "read_at": NULLABLE_STRING,
               "family_name": string(), "inmate_id": string(), "inmate_name": string(),
               "facility_id": string(), "account_id": string(), "flagged": {"type": "boolean"},
               "watch_words": {"type": "array", "items": string()},
               "stamps_spent": {"type": "integer"}, "stamps_left": {"type": "integer"},
               "review_log": {"type": "array", "items": {"type": "object"}}})


def _page_args(request: ApiRequest) -> tuple[int, str | None]:
    return request.query.get("limit", DEFAULT_LIMIT), request.query.get("cursor")


# --- family messages -----------------------------------------------------------------------

@endpoint(bp, "POST", "/v1/contacts/{contact_id}/messages", summary="Send a message (1 stamp)",
          tag="messages", roles=FAMILY, body=obj({"body": MESSAGE_BODY}), status=201,
          response=MESSAGE, max_body_bytes=MESSAGE_REQUEST_MAX_BYTES,
          idempotent=True,
          problems=("contact_not_found", "contact_not_approved", "insufficient_stamps"))
def send_message(request: ApiRequest, contact_id: str):
    return messages.send_to_inmate(request.principal, contact_id, request.body["body"],
                                   request.idempotency_key, request.client)


@endpoint(bp, "GET", "/v1/contacts/{contact_id}/messages", summary="A thread, newest first",
          tag="messages", roles=FAMILY, query=obj(optional=PAGINATION),
          response=page_of(MESSAGE), problems=("contact_not_found",))
def thread(request: ApiRequest, contact_id: str):
    return messages.family_thread(request.principal, contact_id, *_page_args(request))


# --- staff review --------------------------------------------------------------------------

@endpoint(bp, "GET", "/v1/staff/messages", summary="Review queue of my facility, oldest first",
          tag="staff", roles=STAFF,
          query=obj(optional={**PAGINATION,
                              "status": string(enum=list(states.MESSAGE_STATUSES))}),
          response=page_of(MESSAGE))
def review_queue(request: ApiRequest):
    return messages.review_queue(request.principal,
                                 request.query.get("status", states.PENDING_REVIEW),
                                 *_page_args(request))


@endpoint(bp, "GET", "/v1/staff/messages/{message_id}", summary="A message and its review log",
          tag="staff", roles=STAFF, response=MESSAGE, problems=("message_not_found",))
def staff_message(request: ApiRequest, message_id: str):
    return messages.staff_view(request.principal, message_id)


@endpoint(bp, "POST", "/v1/staff/messages/{message_id}/decision",
          summary="Approve or reject a message", tag="staff", roles=STAFF,
          body=obj({"decision": string(enum=list(states.MESSAGE_DECISIONS))},
                   {"reason": REASON, "note": written_text(1, 2000)}),
          response=MESSAGE,
          problems=("message_not_found", "already_decided", "invalid_rejection_reason"))
def decide_message(request: ApiRequest, message_id: str):
    body = request.body
    return messages.decide(request.principal, message_id, body["decision"], body.get("reason"),
                           body.get("note"))


# --- inmate kiosk --------------------------------------------------------------------------

@endpoint(bp, "GET", "/v1/inmate/messages", summary="Messages delivered to me, newest first",
          tag="inmate", roles=INMATE, query=obj(optional=PAGINATION),
          response=page_of(MESSAGE), headers=(KIOSK_KEY,))
def inmate_inbox(request: ApiRequest):
    return messages.inmate_inbox(request.principal, *_page_args(request))


@endpoint(bp, "GET", "/v1/inmate/messages/{message_id}", summary="Open a message (marks it read)",
          tag="inmate", roles=INMATE, response=MESSAGE, problems=("message_not_found",),
          headers=(KIOSK_KEY,))
def inmate_open(request: ApiRequest, message_id: str):
    return messages.inmate_open(request.principal, message_id)


@endpoint(bp, "POST", "/v1/inmate/messages", summary="Reply to a contact", tag="inmate",
          roles=INMATE, body=obj({"contact_id": ID, "body": MESSAGE_BODY}), status=201,
          response=MESSAGE, max_body_bytes=MESSAGE_REQUEST_MAX_BYTES,
          headers=(KIOSK_KEY,), idempotent=True,
          problems=("contact_not_found", "contact_not_approved", "insufficient_stamps"))
def inmate_reply(request: ApiRequest):
    return messages.reply_to_family(request.principal, request.body["contact_id"],
                                    request.body["body"], request.idempotency_key, request.client)
