"""HTTP routes of contacts and eMessaging (api.md "Facilities, inmates, contacts", "eMessaging").

Who may call what: families their own contacts and threads; staff their own facility's queue
and decisions; inmates (kiosk sessions, from a registered kiosk) their own inbox and replies.
Any other role gets 403, and another party's contact or message id answers 404 (its existence
is private).  Staff (admins with ``?facility_id=``) unlock inmates, issue one-time PINs and end
inmates' kiosk sessions.
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.accounts.routes import TOKENS
from chalicelib.facilities.routes import KIOSK_KEY
from chalicelib.facilities.service import facility_in_charge
from chalicelib.messaging import contacts, kiosk, messages, states
from chalicelib.web.endpoint import (FACILITY_QUERY, PAGINATION, STAFF_OR_ADMIN, ApiRequest, Reply,
                                     endpoint)
from chalicelib.web.schema import NULLABLE_STRING, obj, page_of, string, written_text

bp = Blueprint(__name__)

DEFAULT_LIMIT = 20
FAMILY, STAFF, INMATE = ("family",), ("staff",), (kiosk.ROLE,)

# Any Unicode: 6000 characters JSON-escaped as "\uXXXX\uXXXX" (12 bytes each) plus the envelope.
MESSAGE_REQUEST_MAX_BYTES = messages.MAX_BODY_CHARS * 12 + 1024
MESSAGE_BODY = written_text(1, messages.MAX_BODY_CHARS)
ID = string(1, 64)
REASON = written_text(1, 500)
CONTACT = obj({"contact_id": string(), "status": string(enum=list(states.CONTACT_STATUSES))},
              {"inmate_id": string(), "inmate_name": string(), "inmate_number": string(),
               "facility_id": string(), "reason": NULLABLE_STRING, "created_at": string(),
               "decided_at": NULLABLE_STRING, "account_id": string(), "family_name": string(),
               "decided_by": NULLABLE_STRING})
MESSAGE = obj({"message_id": string(), "status": string(enum=list(states.MESSAGE_STATUSES))},
              {"contact_id": string(), "direction": string(), "body": string(),
               "rejection_reason": NULLABLE_STRING, "sent_at": string(),
               "decided_at": NULLABLE_STRING, "read_at": NULLABLE_STRING,
               "family_name": string(), "inmate_id": string(), "inmate_name": string(),
               "facility_id": string(), "account_id": string(), "flagged": {"type": "boolean"},
               "watch_words": {"type": "array", "items": string()},
               "stamps_spent": {"type": "integer"}, "stamps_left": {"type": "integer"},
               "review_log": {"type": "array", "items": {"type": "object"}}})


def _page_args(request: ApiRequest) -> tuple[int, str | None]:
    return request.query.get("limit", DEFAULT_LIMIT), request.query.get("cursor")


# --- contacts ------------------------------------------------------------------------------

@endpoint(bp, "POST", "/v1/contacts", summary="Ask to connect with an inmate", tag="contacts",
          roles=FAMILY, body=obj({"inmate_id": ID}), status=201, response=CONTACT,
          problems=("inmate_not_found", "contact_exists"))
def request_contact(request: ApiRequest):
    return contacts.request_contact(request.principal, request.body["inmate_id"], request.client)


@endpoint(bp, "GET", "/v1/contacts", summary="My contacts and their status", tag="contacts",
          roles=FAMILY, query=obj(optional=PAGINATION), response=page_of(CONTACT))
def list_contacts(request: ApiRequest):
    return contacts.own_contacts(request.principal, *_page_args(request))


@endpoint(bp, "GET", "/v1/staff/contacts", summary="Contact requests at my facility",
          tag="staff", roles=STAFF,
          query=obj(optional={**PAGINATION,
                              "status": string(enum=list(states.CONTACT_STATUSES))}),
          response=page_of(CONTACT))
def staff_contacts(request: ApiRequest):
    return contacts.facility_contacts(request.principal,
                                      request.query.get("status", states.CONTACT_PENDING),
                                      *_page_args(request))


@endpoint(bp, "POST", "/v1/staff/contacts/{contact_id}/decision",
          summary="Approve or deny a contact request", tag="staff", roles=STAFF,
          body=obj({"decision": string(enum=list(states.CONTACT_DECISIONS))},
                   {"reason": REASON}),
          response=CONTACT, problems=("contact_not_found", "already_decided"))
def decide_contact(request: ApiRequest, contact_id: str):
    return contacts.decide(request.principal, contact_id, request.body["decision"],
                           request.body.get("reason"))


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

PIN = string(6, 12, pattern=kiosk.PIN_PATTERN)
# After a one-time PIN: tokens of a session that may only choose a new PIN.
KIOSK_TOKENS = {**TOKENS, "properties": {**TOKENS["properties"],
                                         "pin_change_required": {"type": "boolean"}}}


@endpoint(bp, "POST", "/v1/inmate/login", summary="Kiosk sign-in", tag="inmate",
          body=obj({"facility_id": ID, "inmate_number": string(1, 32), "pin": string(1, 64)}),
          response=KIOSK_TOKENS, headers=(KIOSK_KEY,),
          problems=("kiosk_not_registered", "invalid_credentials", "account_locked",
                    "inmate_locked", "rate_limited"))
def inmate_login(request: ApiRequest):
    body = request.body
    return kiosk.log_in(body["facility_id"], body["inmate_number"], body["pin"], request.client)


@endpoint(bp, "POST", "/v1/inmate/pin", summary="Replace a one-time PIN", tag="inmate",
          roles=(kiosk.PIN_CHANGE_ROLE,), body=obj({"new_pin": PIN}), response=TOKENS,
          headers=(KIOSK_KEY,), problems=("kiosk_not_registered",))
def inmate_change_pin(request: ApiRequest):
    return kiosk.change_pin(request.principal, request.body["new_pin"], request.client)


@endpoint(bp, "POST", "/v1/inmate/logout", summary="End this kiosk session", tag="inmate",
          roles=INMATE, status=204, headers=(KIOSK_KEY,))
def inmate_logout(request: ApiRequest):
    kiosk.log_out(request.principal)
    return Reply(204)


@endpoint(bp, "GET", "/v1/inmate/contacts", summary="My approved contacts", tag="inmate",
          roles=INMATE, query=obj(optional=PAGINATION), response=page_of(CONTACT),
          headers=(KIOSK_KEY,))
def inmate_contacts(request: ApiRequest):
    return contacts.inmate_contacts(request.principal, *_page_args(request))


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


# --- staff: inmates' kiosk sign-in ---------------------------------------------------------

def _facility(request: ApiRequest) -> str:
    return facility_in_charge(request.principal, request.query.get("facility_id"))


@endpoint(bp, "POST", "/v1/staff/inmates/{inmate_id}/unlock",
          summary="Lift an inmate's kiosk sign-in lock", tag="staff", roles=STAFF_OR_ADMIN,
          query=obj(optional=FACILITY_QUERY), status=204, problems=("inmate_not_found",))
def unlock_inmate(request: ApiRequest, inmate_id: str):
    kiosk.unlock(_facility(request), inmate_id, request.principal)
    return Reply(204)


@endpoint(bp, "POST", "/v1/staff/inmates/{inmate_id}/pin",
          summary="Issue a one-time PIN (shown once)", tag="staff", roles=STAFF_OR_ADMIN,
          query=obj(optional=FACILITY_QUERY), response=obj({"pin": PIN}), problems=("inmate_not_found",))
def issue_inmate_pin(request: ApiRequest, inmate_id: str):
    return kiosk.issue_one_time_pin(_facility(request), inmate_id, request.principal)


@endpoint(bp, "POST", "/v1/staff/inmates/{inmate_id}/sessions/revoke",
          summary="End every kiosk session of an inmate", tag="staff", roles=STAFF_OR_ADMIN,
          query=obj(optional=FACILITY_QUERY), status=204, problems=("inmate_not_found",))
def revoke_inmate_sessions(request: ApiRequest, inmate_id: str):
    kiosk.revoke_sessions(_facility(request), inmate_id, request.principal)
    return Reply(204)
