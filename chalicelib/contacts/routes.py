"""HTTP routes of contacts (docs/api.md "Facilities, inmates and contacts").

Families ask and see their own contacts; staff decide for their own facility; inmates (kiosk
sessions) see their approved contacts.  Another family's contact id answers 404.
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.contacts import states
from chalicelib.facilities import INMATE_ROLE
from chalicelib.core import lazy
from chalicelib.web.endpoint import KIOSK_KEY, PAGINATION, ApiRequest, Example, endpoint
from chalicelib.web.schema import NULLABLE_STRING, named, obj, page_of, string, written_text

contacts = lazy.module("chalicelib.contacts.service")

bp = Blueprint(__name__)

DEFAULT_LIMIT = 20
FAMILY, STAFF, INMATE = ("family",), ("staff",), (INMATE_ROLE,)
ID = string(1, 64)
REASON = written_text(1, 500)
CONTACT = named(
    "Contact",
    obj(
        {"contact_id": string(), "status": string(enum=list(states.CONTACT_STATUSES))},
        {
            "inmate_id": string(),
            "inmate_name": string(),
            "inmate_number": string(),
            "facility_id": string(),
            "reason": NULLABLE_STRING,
            "created_at": string(),
            "decided_at": NULLABLE_STRING,
            "account_id": string(),
            "family_name": string(),
            "decided_by": NULLABLE_STRING,
        },
    ),
)


def _page_args(request: ApiRequest) -> tuple[int, str | None]:
    return request.query.get("limit", DEFAULT_LIMIT), request.query.get("cursor")


# --- contacts ------------------------------------------------------------------------------

# Examples for the document (docs/api.md, GET /docs), shared by the operations that show them.
CONTACT_EXAMPLE = {
    "contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA",
    "inmate_id": "inm_A1001",
    "inmate_name": "Marcus Johnson",
    "inmate_number": "A1001",
    "facility_id": "demo-county",
    "status": "pending",
    "reason": None,
    "created_at": "2026-12-01T10:00:00Z",
    "decided_at": None,
    "account_id": "acc_Q2hL9xv7RkT1mWb3ZpN5eA",
    "family_name": "Dana Lee",
    "decided_by": None,
}


@endpoint(bp, "POST", "/v1/contacts", summary="Ask to connect with an inmate", tag="contacts",
          roles=FAMILY, body=obj({"inmate_id": ID}), status=201, response=CONTACT,
          problems=("inmate_not_found", "contact_exists"),
          description=(
              'A family asks to connect with an inmate found by search. The request waits for the '
              "facility's staff (`pending`); messages need it `approved`."),
          example=Example(
              request={"inmate_id": "inm_A1001"},
              response={"contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA", "status": "pending"},
          ))
def request_contact(request: ApiRequest):
    return contacts.request_contact(request.principal, request.body["inmate_id"], request.client)


@endpoint(bp, "GET", "/v1/contacts", summary="My contacts and their status", tag="contacts",
          roles=FAMILY, query=obj(optional=PAGINATION), response=page_of(CONTACT),
          description=(
              "The family's contacts with their status and, when denied, the reason."),
          example=Example(
              params={"limit": 20},
              response={
                  "items": [
                      {
                          "contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA",
                          "inmate_id": "inm_A1001",
                          "inmate_name": "Marcus Johnson",
                          "inmate_number": "A1001",
                          "facility_id": "demo-county",
                          "status": "pending",
                          "reason": None,
                          "created_at": "2026-12-01T10:00:00Z",
                          "decided_at": None,
}
                  ],
                  "next_cursor": None,
              },
          ))
def list_contacts(request: ApiRequest):
    return contacts.own_contacts(request.principal, *_page_args(request))


@endpoint(bp, "GET", "/v1/staff/contacts", summary="Contact requests at my facility",
          tag="staff", roles=STAFF,
          query=obj(optional={**PAGINATION,
                              "status": string(enum=list(states.CONTACT_STATUSES))}),
          response=page_of(CONTACT),
          description=(
              "Staff list their facility's contact requests in one status (`pending` by default), "
              'with who asked.'),
          example=Example(
              params={"status": "pending", "limit": 20},
              response={
                  "items": [
                      CONTACT_EXAMPLE
                  ],
                  "next_cursor": None,
              },
          ))
def staff_contacts(request: ApiRequest):
    return contacts.facility_contacts(request.principal,
                                      request.query.get("status", states.CONTACT_PENDING),
                                      *_page_args(request))


@endpoint(bp, "POST", "/v1/staff/contacts/{contact_id}/decision",
          summary="Approve or deny a contact request", tag="staff", roles=STAFF,
          body=obj({"decision": string(enum=list(states.CONTACT_DECISIONS))},
                   {"reason": REASON}),
          response=CONTACT, problems=("contact_not_found", "already_decided"),
          description=(
              'Staff approve or deny a pending request of their facility; a denial needs a reason, '
              'which the family sees.'),
          example=Example(
              params={"contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA"},
              request={"decision": "approve"},
              response={
                  **CONTACT_EXAMPLE,
                  "status": "approved",
                  "decided_at": "2026-12-01T11:30:00Z",
                  "decided_by": "acc_Sf4Gh7Jk0Lz3Xc6Vb9Nm2QA",
              },
          ))
def decide_contact(request: ApiRequest, contact_id: str):
    return contacts.decide(request.principal, contact_id, request.body["decision"],
                           request.body.get("reason"))


@endpoint(bp, "GET", "/v1/inmate/contacts", summary="My approved contacts", tag="inmate",
          roles=INMATE, query=obj(optional=PAGINATION), response=page_of(CONTACT),
          headers=(KIOSK_KEY,),
          description=(
              "The inmate's approved contacts (who they may write to), from the kiosk."),
          example=Example(
              params={"X-Kiosk-Key": "kio_demo.demo-kiosk-key-change-me-7Qm2xV9pL4tR8wZ1"},
              response={
                  "items": [
                      {
                          "contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA",
                          "family_name": "Dana Lee",
                          "status": "approved",
                          "created_at": "2026-12-01T10:00:00Z",
                      }
                  ],
                  "next_cursor": None,
              },
          ))
def inmate_contacts(request: ApiRequest):
    return contacts.inmate_contacts(request.principal, *_page_args(request))
