"""HTTP routes of calls (docs/api.md "Calls and the phone account"): the call platform's API,
authenticated by the facility's platform key (``X-Platform-Key``, no bearer token), and the
family's own call records.
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.calls.states import EndCause, Refusal
from chalicelib import facilities
from chalicelib.core import lazy
from chalicelib.web.endpoint import (FACILITY_QUERY, PAGINATION, STAFF_OR_ADMIN, ApiRequest,
                                     Example, Header, endpoint)
from chalicelib.web.schema import NULLABLE_STRING, named, obj, page_of, string

service = lazy.module("chalicelib.calls.service")
statements = lazy.module("chalicelib.calls.statements")

bp = Blueprint(__name__)

INTEGER = {"type": "integer"}
PLATFORM_KEY = Header("X-Platform-Key", True, description="The facility's call platform key "
                      "(issued by an admin, shown once).")
KEY_EXAMPLE = "plk_demo.demo-platform-key-change-me-4Tq8wZ2mR6vL"
AUTHORIZATION = named("CallAuthorization", obj(
    {"allowed": {"type": "boolean"}},
    {"call_id": string(), "payer": string(enum=["family", "inmate", "agency"]),
     "rate_cents_per_minute": INTEGER, "max_seconds": INTEGER,
     "continues_call_id": NULLABLE_STRING,
     "reason": string(enum=[str(reason) for reason in Refusal])}))
CALL = named("Call", obj(
    {"call_id": string(), "status": string()},
    {"facility_id": string(), "inmate_id": string(), "inmate_number": string(),
     "dialed_number": string(), "payer": string(), "started_at": string(),
     "ended_at": NULLABLE_STRING, "duration_seconds": INTEGER, "rate_cents_per_minute": INTEGER,
     "charge_cents": INTEGER, "end_cause": NULLABLE_STRING,
     "continues_call_id": NULLABLE_STRING}))


@endpoint(bp, "POST", "/v1/telephony/calls/authorize",
          summary="The call platform asks whether a call may go through", tag="telephony",
          headers=(PLATFORM_KEY,),
          body=obj({"inmate_number": string(1, 32), "dialed_number": string(2, 32)}),
          response=AUTHORIZATION, problems=("platform_not_registered", "inmate_not_found"),
          description=(
              "Called by the facility's call platform, not by people. Answers `allowed: true` "
              "with who pays, the rate (never above the legal cap) and `max_seconds` (the "
              "facility's length limit or what the payer's balance covers), holding that much "
              "from the balance; or `allowed: false` with a `reason`. A call to the same number "
              "within 5 minutes of a drop carries `continues_call_id`."),
          example=Example(
              params={"X-Platform-Key": KEY_EXAMPLE},
              request={"inmate_number": "A1001", "dialed_number": "+15035550142"},
              response={"call_id": "call_Hq3mT8wZ2vL6pR1xN9kBYA", "allowed": True,
                        "payer": "family", "rate_cents_per_minute": 10, "max_seconds": 900,
                        "continues_call_id": None}))
def authorize(request: ApiRequest):
    return service.authorize(request.headers.get("x-platform-key"), request.body)


@endpoint(bp, "POST", "/v1/telephony/calls/{call_id}/end",
          summary="The call platform reports how a call ended", tag="telephony",
          headers=(PLATFORM_KEY,),
          body=obj({"connected_seconds": {"type": "integer", "minimum": 0, "maximum": 86_400},
                    "end_cause": string(enum=[str(cause) for cause in EndCause])}),
          response=obj({"call_id": string(), "charge_cents": INTEGER,
                        "billed_seconds": INTEGER}),
          problems=("platform_not_registered", "call_not_found", "call_already_ended"),
          description=(
              "Charges `min(connected_seconds, max_seconds)` per second at the call's rate, "
              "rounded down to the cent, in one ledger journal, and gives back the rest of the "
              "hold; a `system` or `network` drop in the first 60 seconds costs nothing. The "
              "same end again answers the same; a different one 409 `call_already_ended`."),
          example=Example(
              params={"X-Platform-Key": KEY_EXAMPLE, "call_id": "call_Hq3mT8wZ2vL6pR1xN9kBYA"},
              request={"connected_seconds": 125, "end_cause": "hangup"},
              response={"call_id": "call_Hq3mT8wZ2vL6pR1xN9kBYA", "charge_cents": 20,
                        "billed_seconds": 125}))
def end_call(request: ApiRequest, call_id: str):
    return service.end(request.headers.get("x-platform-key"), call_id, request.body)


@endpoint(bp, "GET", "/v1/calls", summary="Calls to your numbers", tag="calls",
          roles=("family",), query=obj(optional=PAGINATION), response=page_of(CALL),
          description="Calls to the family's numbers, newest first: when, how long, the charge "
                      "and how each ended.",
          example=Example(params={"limit": 20}, response={"items": [{
              "call_id": "call_Hq3mT8wZ2vL6pR1xN9kBYA", "facility_id": "demo-county",
              "inmate_id": "inm_A1001", "inmate_number": "A1001",
              "dialed_number": "+15035550142", "status": "ended", "payer": "family",
              "started_at": "2026-12-01T18:00:00Z", "ended_at": "2026-12-01T18:02:05Z",
              "duration_seconds": 125, "rate_cents_per_minute": 10, "charge_cents": 20,
              "end_cause": "hangup", "continues_call_id": None}], "next_cursor": None}))
def list_calls(request: ApiRequest):
    return service.calls_of(request.principal.account_id, request.query.get("limit", 20),
                            request.query.get("cursor"))


STATEMENT_EXAMPLE = {
    "month": "2026-11", "facility_id": "demo-county", "time_zone": "America/New_York",
    "from": "2026-11-01T04:00:00Z", "to": "2026-12-01T05:00:00Z",
    "opening_balance_cents": 0, "closing_balance_cents": 280,
    "deposits": [{"deposit_id": "dep_5f2c9a8e1b7d4c3a9e6f0b1d2c3a4e5f", "account": "calling",
                  "inmate_id": None, "amount_cents": 300, "fee_cents": 0,
                  "created_at": "2026-11-20T15:00:00Z", "status": "completed"}],
    "refunds": [], "calling_balance_movements": {"call": -20, "deposit": 300},
    "calls": [], "call_charges_cents": 20, "stamps": [], "visits": [],
}


@endpoint(bp, "GET", "/v1/statements/{month}", summary="Your statement for a month",
          tag="calls", roles=("family",), query=obj({"facility_id": string(1, 64)}),
          response=obj({"month": string(), "facility_id": string(),
                        "opening_balance_cents": INTEGER, "closing_balance_cents": INTEGER},
                       {"time_zone": string(), "from": string(), "to": string(),
                        "deposits": {"type": "array"}, "refunds": {"type": "array"},
                        "calling_balance_movements": {"type": "object"},
                        "calls": {"type": "array"}, "call_charges_cents": INTEGER,
                        "stamps": {"type": "array"}, "visits": {"type": "array"}}),
          problems=("not_found",),
          description=(
              "One month (`YYYY-MM`, in the facility's time zone) at one facility: deposits, "
              "calls, visits (those starting that month), stamps, what was paid from the "
              "calling balance (calls, visits), refunds, "
              "and the calling balance at the start and the end of the month. Emailed on the "
              "1st for the month before."),
          example=Example(params={"month": "2026-11", "facility_id": "demo-county"},
                          response=STATEMENT_EXAMPLE))
def statement(request: ApiRequest, month: str):
    return statements.statement(request.principal.account_id, request.query["facility_id"],
                                month)


RELEASE = named("Release", obj(
    {"inmate_id": string(), "released_at": string()},
    {"inmate_number": string(), "full_name": string(), "trust_cents": INTEGER,
     "phone_cents": INTEGER}))


@endpoint(bp, "GET", "/v1/staff/releases", summary="People released, with balances to pay out",
          tag="staff", roles=STAFF_OR_ADMIN, query=obj(optional={**PAGINATION, **FACILITY_QUERY}),
          response=page_of(RELEASE),
          description=(
              "People the roster released, oldest first, with their own trust and phone "
              "balances as they stand now, for staff to pay out with no fee. Families' calling "
              "balances at the facility were refunded to their cards already."),
          example=Example(params={"limit": 20}, response={"items": [{
              "inmate_id": "inm_A1002", "inmate_number": "A1002", "full_name": "Elena Ruiz",
              "released_at": "2026-12-01T09:00:00Z", "trust_cents": 4200, "phone_cents": 150}],
              "next_cursor": None}))
def staff_releases(request: ApiRequest):
    facility_id = facilities.facility_in_charge(request.principal, request.query.get("facility_id"))
    return service.releases(facility_id, request.query.get("limit", 20),
                            request.query.get("cursor"))
