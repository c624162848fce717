"""HTTP routes of support (docs/api.md "Support").

Families open tickets and reply to their own; staff of the ticket's facility and admins work
the queue, reply and close.  Someone else's ticket, or object, answers 404.
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.support import states
from chalicelib.core import lazy
from chalicelib.web.endpoint import (FACILITY_QUERY, PAGINATION, STAFF_OR_ADMIN, ApiRequest,
                                     Example, endpoint)
from chalicelib.web.schema import (BOOLEAN, NULLABLE_STRING, named, obj, page_of, string,
                                   written_text)

service = lazy.module("chalicelib.support.service")

bp = Blueprint(__name__)

DEFAULT_LIMIT = 20
FAMILY = ("family",)
ID = string(1, 64)
REPLY_BODY = obj({"body": written_text(1, 6000)})
TICKET_FIELDS = {
    "ticket_id": string(), "category": string(enum=list(states.CATEGORIES)),
    "subject": string(), "body": string(), "related_id": NULLABLE_STRING,
    "facility_id": NULLABLE_STRING, "status": string(enum=list(states.TICKET_STATUSES)),
    "respond_by": string(), "created_at": string(), "updated_at": string(),
    "reply_count": {"type": "integer"},
}
STAFF_FIELDS = {"account_id": string(), "family_name": string(), "overdue": BOOLEAN}
TICKET = named("Ticket", obj(TICKET_FIELDS, STAFF_FIELDS))
SUPPORT_REPLY = named("SupportReply", obj({
    "reply_id": string(), "author_role": string(), "author_name": string(), "body": string(),
    "created_at": string()}))
TICKET_WITH_REPLIES = named("TicketWithReplies",
                            obj({**TICKET_FIELDS, "replies": page_of(SUPPORT_REPLY)},
                                STAFF_FIELDS))
TICKET_AND_REPLY = named("TicketAndReply",
                         obj({**TICKET_FIELDS, "reply": SUPPORT_REPLY}, STAFF_FIELDS))

# Examples for the document (docs/api.md, GET /docs), shared by the operations that show them.
TICKET_EXAMPLE = {
    "ticket_id": "tkt_V3nQ8rL2xK7pW1mZ5tY9bA", "category": "deposit",
    "subject": "Deposit not on his account", "body": "I sent $25 yesterday; he says it is not there.",
    "related_id": "dep_4kP9sT2wQ7vX1nB6mL3yHA", "facility_id": "demo-county", "status": "open",
    "respond_by": "2026-12-02T16:00:00Z", "created_at": "2026-12-01T16:00:00Z",
    "updated_at": "2026-12-01T16:00:00Z", "reply_count": 0,
}
STAFF_TICKET_EXAMPLE = {**TICKET_EXAMPLE, "account_id": "acc_Q2hL9xv7RkT1mWb3ZpN5eA",
                        "family_name": "Dana Lee", "overdue": False}
REPLY_EXAMPLE = {"reply_id": "rpl_8mN2bV5cX1zL7kJ4hG6fDA", "author_role": "staff",
                 "author_name": "Demo Staff", "body": "It posted this morning; please check again.",
                 "created_at": "2026-12-01T17:05:00Z"}


def _page_args(request: ApiRequest) -> tuple[int, str | None]:
    return request.query.get("limit", DEFAULT_LIMIT), request.query.get("cursor")


@endpoint(bp, "POST", "/v1/support/tickets", summary="Ask for help", tag="support",
          roles=FAMILY, status=201, response=TICKET,
          body=obj({"category": string(enum=list(states.CATEGORIES)),
                    "subject": written_text(1, 200), "body": written_text(1, 6000)},
                   {"related_id": ID, "facility_id": ID}),
          problems=("related_not_found", "facility_not_found"),
          description=(
              "A family opens a ticket, optionally about one of its own deposits, messages, visits "
              "or calls (`related_id`; another family's id answers 404 `related_not_found`). "
              "The ticket goes to the staff of that object's facility (or of `facility_id`), else "
              "to the operator's admins. `respond_by` follows the category's target in business "
              "days of the facility's time zone."),
          example=Example(
              request={"category": "deposit", "subject": TICKET_EXAMPLE["subject"],
                       "body": TICKET_EXAMPLE["body"], "related_id": TICKET_EXAMPLE["related_id"]},
              response=TICKET_EXAMPLE))
def open_ticket(request: ApiRequest):
    return service.open_ticket(request.principal, request.body)


@endpoint(bp, "GET", "/v1/support/tickets", summary="My tickets", tag="support", roles=FAMILY,
          query=obj(optional=PAGINATION), response=page_of(TICKET),
          description="The family's tickets, newest first, with their status and respond-by time.",
          example=Example(params={"limit": 20},
                          response={"items": [TICKET_EXAMPLE], "next_cursor": None}))
def list_tickets(request: ApiRequest):
    return service.own_tickets(request.principal, *_page_args(request))


@endpoint(bp, "GET", "/v1/support/tickets/{ticket_id}", summary="One of my tickets",
          tag="support", roles=FAMILY, query=obj(optional=PAGINATION),
          response=TICKET_WITH_REPLIES, problems=("ticket_not_found",),
          description=(
              "A ticket and its replies, oldest first (`limit` and `cursor` page the replies)."),
          example=Example(
              params={"ticket_id": TICKET_EXAMPLE["ticket_id"]},
              response={**TICKET_EXAMPLE, "status": "answered", "reply_count": 1,
                        "replies": {"items": [REPLY_EXAMPLE], "next_cursor": None}}))
def get_ticket(request: ApiRequest, ticket_id: str):
    return service.own_ticket(request.principal, ticket_id, *_page_args(request))


@endpoint(bp, "POST", "/v1/support/tickets/{ticket_id}/replies", summary="Reply to my ticket",
          tag="support", roles=FAMILY, body=REPLY_BODY, status=201, response=TICKET_AND_REPLY,
          problems=("ticket_not_found", "ticket_closed"),
          description=(
              "The family adds to its ticket; a reply to an `answered` ticket opens it again with "
              "a new respond-by time. A closed ticket takes no reply (409 `ticket_closed`)."),
          example=Example(
              params={"ticket_id": TICKET_EXAMPLE["ticket_id"]},
              request={"body": "It is still not there."},
              response={**TICKET_EXAMPLE, "reply_count": 2,
                        "reply": {**REPLY_EXAMPLE, "author_role": "family",
                                  "author_name": "Dana Lee", "body": "It is still not there."}}))
def reply(request: ApiRequest, ticket_id: str):
    return service.family_reply(request.principal, ticket_id, request.body["body"])


@endpoint(bp, "GET", "/v1/staff/support/tickets", summary="The support queue", tag="staff",
          roles=STAFF_OR_ADMIN,
          query=obj(optional={**PAGINATION, **FACILITY_QUERY,
                              "status": string(enum=list(states.TICKET_STATUSES))}),
          response=page_of(TICKET),
          description=(
              "Tickets of the staff member's facility in one status (`open` by default), soonest "
              "respond-by first, so overdue ones (`overdue: true`) lead. Admins name a facility "
              "with `facility_id`, or leave it out for the tickets that concern no facility."),
          example=Example(params={"status": "open", "limit": 20},
                          response={"items": [STAFF_TICKET_EXAMPLE], "next_cursor": None}))
def staff_queue(request: ApiRequest):
    return service.staff_queue(request.principal, request.query.get("facility_id"),
                               request.query.get("status", states.OPEN), *_page_args(request))


@endpoint(bp, "GET", "/v1/staff/support/tickets/{ticket_id}", summary="A ticket in the queue",
          tag="staff", roles=STAFF_OR_ADMIN, query=obj(optional=PAGINATION),
          response=TICKET_WITH_REPLIES, problems=("ticket_not_found",),
          description="A ticket of the staff member's facility (any, for admins) and its replies.",
          example=Example(
              params={"ticket_id": TICKET_EXAMPLE["ticket_id"]},
              response={**STAFF_TICKET_EXAMPLE,
                        "replies": {"items": [], "next_cursor": None}}))
def staff_ticket(request: ApiRequest, ticket_id: str):
    return service.staff_ticket(request.principal, ticket_id, *_page_args(request))


@endpoint(bp, "POST", "/v1/staff/support/tickets/{ticket_id}/replies",
          summary="Answer a ticket", tag="staff", roles=STAFF_OR_ADMIN, body=REPLY_BODY,
          status=201, response=TICKET_AND_REPLY, problems=("ticket_not_found", "ticket_closed"),
          description=(
              "Staff of the ticket's facility, or an admin, answer: the ticket becomes `answered` "
              "and the family is emailed the reply."),
          example=Example(
              params={"ticket_id": TICKET_EXAMPLE["ticket_id"]},
              request={"body": REPLY_EXAMPLE["body"]},
              response={**STAFF_TICKET_EXAMPLE, "status": "answered", "reply_count": 1,
                        "reply": REPLY_EXAMPLE}))
def staff_reply(request: ApiRequest, ticket_id: str):
    return service.staff_reply(request.principal, ticket_id, request.body["body"])


@endpoint(bp, "POST", "/v1/staff/support/tickets/{ticket_id}/close", summary="Close a ticket",
          tag="staff", roles=STAFF_OR_ADMIN, response=TICKET, problems=("ticket_not_found",),
          description=(
              "Staff of the ticket's facility, or an admin, close it; closing a closed ticket "
              "changes nothing."),
          example=Example(params={"ticket_id": TICKET_EXAMPLE["ticket_id"]},
                          response={**STAFF_TICKET_EXAMPLE, "status": "closed"}))
def close_ticket(request: ApiRequest, ticket_id: str):
    return service.close(request.principal, ticket_id)
