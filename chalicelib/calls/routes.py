"""HTTP routes of calls (docs/api.md "Calls and the phone account"): the call platform's API,
authenticated by the facility's platform key (``X-Platform-Key``, no bearer token), and the
family's own call records.
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.calls import service
from chalicelib.calls.states import EndCause, Refusal
from chalicelib.web.endpoint import PAGINATION, ApiRequest, Example, Header, endpoint
from chalicelib.web.schema import NULLABLE_STRING, named, obj, page_of, string

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
