"""HTTP routes of call numbers (docs/api.md "Calls and the phone account"): a family registers,
verifies, lists and removes the numbers it takes calls on; staff decide where the facility's
rules ask them to.  Another family's number answers 404.
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.contacts import states
from chalicelib import facilities
from chalicelib.core import lazy
from chalicelib.web.endpoint import (FACILITY_QUERY, PAGINATION, STAFF_OR_ADMIN, ApiRequest,
                                     Example, Reply, endpoint)
from chalicelib.web.schema import (NULLABLE_STRING, PASSWORD, PHONE, named, obj, page_of,
                                   string, written_text)

call_numbers = lazy.module("chalicelib.contacts.call_numbers")

bp = Blueprint(__name__)

FAMILY = ("family",)
ID = string(1, 64)
STATUSES = [str(status) for status in states.CallNumberStatus]
CALL_NUMBER = named("CallNumber", obj(
    {"number_id": string(), "status": string(enum=STATUSES)},
    {"phone": string(), "contact_id": string(), "inmate_id": string(), "facility_id": string(),
     "created_at": string(), "account_id": string(), "decided_at": NULLABLE_STRING,
     "reason": NULLABLE_STRING}))
EXAMPLE = {"number_id": "num_4kT9wQ2mX7vL1pR8zN3bYA", "phone": "+15035550142",
           "contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA", "inmate_id": "inm_A1001",
           "facility_id": "demo-county", "status": "approved",
           "created_at": "2026-12-01T10:05:00Z"}


def _page(request: ApiRequest) -> tuple[int, str | None]:
    return request.query.get("limit", 20), request.query.get("cursor")


@endpoint(bp, "POST", "/v1/call-numbers", summary="Register a number to take calls on",
          tag="calls", roles=FAMILY, status=202,
          body=obj({"phone": PHONE, "contact_id": ID, "current_password": PASSWORD}),
          response=CALL_NUMBER,
          problems=("reauthentication_required", "contact_not_found", "contact_not_approved",
                    "call_number_taken", "too_many_codes_sent"),
          description=(
              "Ties a phone number to one of the family's approved contacts and texts it a "
              "6-digit code (the password is asked again). Calls reach it once verified and, "
              "where the facility's rules say so, approved by staff."),
          example=Example(
              request={"phone": "503-555-0142", "contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA",
                       "current_password": "Harbor-Lantern-Quill-88"},
              response={"number_id": "num_4kT9wQ2mX7vL1pR8zN3bYA",
                        "status": "pending_verification"}))
def register_number(request: ApiRequest):
    body = request.body
    return call_numbers.register_number(request.principal, body["phone"], body["contact_id"],
                                        body["current_password"])


@endpoint(bp, "POST", "/v1/call-numbers/{number_id}/verify",
          summary="Confirm a call number with its texted code", tag="calls", roles=FAMILY,
          body=obj({"code": string(1, 16)}), response=CALL_NUMBER,
          problems=("invalid_or_expired_code", "call_number_not_found", "already_verified"),
          description=(
              "Confirms the number with the texted code (single use, a few tries, 10 minutes). "
              "It is then `approved`, or `pending_approval` where staff approve numbers."),
          example=Example(params={"number_id": "num_4kT9wQ2mX7vL1pR8zN3bYA"},
                          request={"code": "482913"}, response=EXAMPLE))
def verify_number(request: ApiRequest, number_id: str):
    return call_numbers.verify(request.principal, number_id, request.body["code"])


@endpoint(bp, "GET", "/v1/call-numbers", summary="The numbers you take calls on", tag="calls",
          roles=FAMILY, query=obj(optional=PAGINATION), response=page_of(CALL_NUMBER),
          description="The family's call numbers with their status, newest first.",
          example=Example(params={"limit": 20},
                          response={"items": [EXAMPLE], "next_cursor": None}))
def list_numbers(request: ApiRequest):
    return call_numbers.own_numbers(request.principal, *_page(request))


@endpoint(bp, "DELETE", "/v1/call-numbers/{number_id}", summary="Remove a call number at once",
          tag="calls", roles=FAMILY, status=204, problems=("call_number_not_found",),
          description="Removes the number: the next call to it is refused.",
          example=Example(params={"number_id": "num_4kT9wQ2mX7vL1pR8zN3bYA"}))
def remove_number(request: ApiRequest, number_id: str):
    call_numbers.remove(request.principal, number_id)
    return Reply(204)


@endpoint(bp, "GET", "/v1/staff/call-numbers", summary="Call numbers waiting for approval",
          tag="staff", roles=STAFF_OR_ADMIN,
          query=obj(optional={**PAGINATION, **FACILITY_QUERY,
                              "status": string(enum=["pending"])}),
          response=page_of(CALL_NUMBER),
          description=(
              "Verified numbers of the facility's families waiting for staff (where the rules "
              "ask for approval), oldest first."),
          example=Example(params={"status": "pending"}, response={
              "items": [{**EXAMPLE, "status": "pending_approval",
                         "account_id": "acc_Q2hL9xv7RkT1mWb3ZpN5eA", "decided_at": None,
                         "reason": None}], "next_cursor": None}))
def staff_numbers(request: ApiRequest):
    facility_id = facilities.facility_in_charge(request.principal, request.query.get("facility_id"))
    return call_numbers.in_review(facility_id, *_page(request))


@endpoint(bp, "POST", "/v1/staff/call-numbers/{number_id}/decision",
          summary="Approve or deny a call number", tag="staff", roles=STAFF_OR_ADMIN,
          query=obj(optional=FACILITY_QUERY),
          body=obj({"decision": string(enum=list(states.CALL_NUMBER_DECISIONS))},
                   {"reason": written_text(1, 500)}),
          response=CALL_NUMBER, problems=("call_number_not_found", "already_decided"),
          description=("Staff approve or deny a verified number once; a denied number's calls "
                       "are refused as `blocked`."),
          example=Example(params={"number_id": "num_4kT9wQ2mX7vL1pR8zN3bYA"},
                          request={"decision": "approve"},
                          response={**EXAMPLE, "account_id": "acc_Q2hL9xv7RkT1mWb3ZpN5eA",
                                    "decided_at": "2026-12-01T11:00:00Z", "reason": ""}))
def decide_number(request: ApiRequest, number_id: str):
    facility_id = facilities.facility_in_charge(request.principal, request.query.get("facility_id"))
    return call_numbers.decide(request.principal, facility_id, number_id,
                               request.body["decision"], request.body.get("reason"))
