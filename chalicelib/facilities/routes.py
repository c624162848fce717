"""HTTP routes of facilities, inmate search (docs/api.md "Facilities, inmates and contacts"), the
facility's kiosks and the inmates' kiosk sign-in (docs/api.md "Kiosks and inmates")."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.core import lazy
from chalicelib.facilities import kiosks
from chalicelib.facilities.roles import INMATE_ROLE, PIN_CHANGE_ROLE
from chalicelib.facilities.store import US_STATES
from chalicelib.web.endpoint import (ANY_ROLE, FACILITY_QUERY, KIOSK_KEY, PAGINATION,
                                     STAFF_OR_ADMIN, ApiRequest, Example, Reply, endpoint)
from chalicelib.web.schema import NULLABLE_STRING, TOKENS, named, obj, page_of, string

service = lazy.module("chalicelib.facilities.service")
signin = lazy.module("chalicelib.facilities.signin")

bp = Blueprint(__name__)

INTEGER = {"type": "integer"}
FEE_TIER = obj({"account": string(), "up_to_cents": INTEGER, "fee_cents": INTEGER})
FACILITY = named(
    "Facility",
    obj(
        {
            "facility_id": string(),
            "name": string(),
            "state": string(),
            "timezone": NULLABLE_STRING,
            "stamp_price_cents": INTEGER,
            "deposit_limits": obj({"min_cents": INTEGER, "max_cents": INTEGER, "daily_cap_cents": INTEGER}),
            "fee_schedule": {"type": "array", "items": FEE_TIER},
        }
    ),
)
KIOSK = named(
    "Kiosk",
    obj(
        {
            "kiosk_id": string(),
            "facility_id": string(),
            "label": string(),
            "created_at": string(),
            "created_by": string(),
            "revoked_at": NULLABLE_STRING,
        },
        {"key": string()},
    ),
)
INMATE = named(
    "Inmate",
    obj({"inmate_id": string(), "full_name": string(), "inmate_number": string(), "facility_id": string()}),
)


# Examples for the document (docs/api.md, GET /docs), shared by the operations that show them.
KIOSK_EXAMPLE = {
    "kiosk_id": "kio_9tR2mX7qL4vN8pZ1wK3bYA",
    "facility_id": "demo-county",
    "label": "Housing unit B, dayroom",
    "created_at": "2026-12-01T09:00:00Z",
    "created_by": "acc_Sf4Gh7Jk0Lz3Xc6Vb9Nm2QA",
    "revoked_at": None,
}


# The directory changes only when an admin puts a facility's rules: caches (the browser,
# CloudFront, API Gateway's cache keyed on the query and Accept-Language) may keep a page this
# long, so the busiest page is read from DynamoDB a few times an hour (issue 13, finding 6).
DIRECTORY_CACHE = "public, max-age=300"


@endpoint(bp, "GET", "/v1/facilities", summary="Facilities with their fees and deposit limits",
          tag="facilities", response=page_of(FACILITY),
          query=obj(optional={**PAGINATION, "state": string(2, 2, enum=list(US_STATES))}),
          description=(
              'Every facility with what a family needs before paying: the stamp price, deposit '
              'limits and the fee for each amount (phone deposits carry no fee), and its IANA '
              '`timezone` (null until an admin sets it), the zone visit times are local to. '
              'No sign-in needed. '
              '`state` (two letters, `MD`) lists one state\'s facilities; without it the pages '
              'go through the states in alphabetical order, each by name. Answers carry '
              '`Cache-Control: public, max-age=300`.'),
          example=Example(
              params={"limit": 20},
              response={
                  "items": [
                      {
                          "facility_id": "demo-county",
                          "name": "Demo County Jail",
                          "state": "MD",
                          "timezone": "America/New_York",
                          "stamp_price_cents": 39,
                          "deposit_limits": {
                              "min_cents": 100,
                              "max_cents": 30000,
                              "daily_cap_cents": 100000,
                          },
                          "fee_schedule": [
                              {"account": "trust", "up_to_cents": 2000, "fee_cents": 295},
                              {"account": "trust", "up_to_cents": 10000, "fee_cents": 495},
                              {"account": "trust", "up_to_cents": 20000, "fee_cents": 795},
                              {"account": "trust", "up_to_cents": 30000, "fee_cents": 995},
                          ],
                      }
                  ],
                  "next_cursor": None,
              },
          ))
def list_facilities(request: ApiRequest):
    listing = service.list_facilities(request.query.get("limit", 20), request.query.get("cursor"),
                                      request.query.get("state"))
    return Reply(200, listing, {"Cache-Control": DIRECTORY_CACHE})


@endpoint(bp, "GET", "/v1/facilities/{facility_id}/inmates",
          summary="Find an inmate by last-name prefix or inmate-number prefix", tag="facilities",
          roles=ANY_ROLE, query=obj(optional={**PAGINATION, "q": string(0, 100)}),
          response=page_of(INMATE), problems=("not_found",),
          description=(
              'Finds inmates of a facility by the start of the last name or of the inmate number '
              '(case ignored); at least two characters narrow it down.'),
          example=Example(
              params={"facility_id": "demo-county", "q": "john"},
              response={
                  "items": [
                      {
                          "inmate_id": "inm_A1001",
                          "full_name": "Marcus Johnson",
                          "inmate_number": "A1001",
                          "facility_id": "demo-county",
                      }
                  ],
                  "next_cursor": None,
              },
          ))
def search_inmates(request: ApiRequest, facility_id: str):
    return service.search_inmates(request.principal, facility_id, request.query.get("q", ""),
                                  request.query.get("limit", 20), request.query.get("cursor"))


# --- kiosks (staff of the facility; admins with ?facility_id=) -----------------------------

def _facility(request: ApiRequest) -> str:
    return service.facility_in_charge(request.principal, request.query.get("facility_id"))


@endpoint(bp, "POST", "/v1/staff/kiosks", summary="Register a kiosk (its key is shown once)",
          tag="staff", roles=STAFF_OR_ADMIN, query=obj(optional=FACILITY_QUERY),
          body=obj({"label": string(1, 100)}), status=201, response=KIOSK,
          description=(
              'Staff register a kiosk of their facility (admins name it with `?facility_id=`). The '
              "answer holds the kiosk's key `kio_<id>.<secret>` this once: install it on the "
              'device, which sends it as `X-Kiosk-Key`.'),
          example=Example(
              request={"label": "Housing unit B, dayroom"},
              response={
                  **KIOSK_EXAMPLE,
                  "key": "kio_9tR2mX7qL4vN8pZ1wK3bYA.Wm3Nq7Rt2Yk6Xz0Lc4Vb8Hj1Gf5Ds9Ap3Qw7Er1Ty5U",
              },
          ))
def register_kiosk(request: ApiRequest):
    return kiosks.register(_facility(request), request.body["label"],
                           by=request.principal.account_id)


@endpoint(bp, "GET", "/v1/staff/kiosks", summary="The facility's kiosks, newest first",
          tag="staff", roles=STAFF_OR_ADMIN,
          query=obj(optional={**PAGINATION, **FACILITY_QUERY}), response=page_of(KIOSK),
          description=(
              "The facility's kiosks, newest first, revoked ones included (never their keys)."),
          example=Example(
              params={"limit": 20},
              response={
                  "items": [
                      KIOSK_EXAMPLE
                  ],
                  "next_cursor": None,
              },
          ))
def list_kiosks(request: ApiRequest):
    return kiosks.listing(_facility(request), request.query.get("limit", 20),
                          request.query.get("cursor"))


@endpoint(bp, "DELETE", "/v1/staff/kiosks/{kiosk_id}", summary="Revoke a kiosk at once",
          tag="staff", roles=STAFF_OR_ADMIN, query=obj(optional=FACILITY_QUERY), status=204,
          problems=("kiosk_not_found",),
          description=(
              'Revokes a kiosk at once: its key stops working and every session opened on it ends.'),
          example=Example(params={"kiosk_id": "kio_9tR2mX7qL4vN8pZ1wK3bYA"}))
def revoke_kiosk(request: ApiRequest, kiosk_id: str):
    kiosks.revoke(_facility(request), kiosk_id, by=request.principal.account_id)
    return Reply(204)


# --- inmates' kiosk sign-in ----------------------------------------------------------------

PIN = string(6, 12, pattern=kiosks.PIN_PATTERN)
# After a one-time PIN: tokens of a session that may only choose a new PIN.
KIOSK_TOKENS = named(
    "KioskTokens",
    {**TOKENS, "properties": {**TOKENS["properties"], "pin_change_required": {"type": "boolean"}}},
)


@endpoint(bp, "POST", "/v1/inmate/login", summary="Kiosk sign-in", tag="inmate",
          body=obj({"facility_id": string(1, 64), "inmate_number": string(1, 32), "pin": string(1, 64)}),
          response=KIOSK_TOKENS, headers=(KIOSK_KEY,),
          problems=("kiosk_not_registered", "invalid_credentials", "account_locked",
                    "inmate_locked", "rate_limited"),
          description=(
              'An inmate signs in at a registered kiosk (the request carries its `X-Kiosk-Key`) '
              'with the facility, inmate number and PIN. After a one-time PIN the tokens only allow '
              '`POST /v1/inmate/pin` (`pin_change_required`).'),
          example=Example(
              params={"X-Kiosk-Key": "kio_demo.demo-kiosk-key-change-me-7Qm2xV9pL4tR8wZ1"},
              request={"facility_id": "demo-county", "inmate_number": "A1001", "pin": "482613"},
              response={
                  "access_token": "Kp2Wq8Rt1Ym5Xz9Lc3Vb7NA.r4T8yU1iO5pA9sD2fG6hJ0kL3zX7cV1bN4mQ8wE2rT5",
                  "refresh_token": "Kp2Wq8Rt1Ym5Xz9Lc3Vb7NA.m6N9bV2cX5zL8kJ1hG4fD7sA0pO3iU6yT9rE2wQ5eR8",
                  "token_type": "Bearer",
                  "expires_in": 900,
              },
          ))
def inmate_login(request: ApiRequest):
    body = request.body
    return signin.log_in(body["facility_id"], body["inmate_number"], body["pin"], request.client)


@endpoint(bp, "POST", "/v1/inmate/pin", summary="Replace a one-time PIN", tag="inmate",
          roles=(PIN_CHANGE_ROLE,), body=obj({"new_pin": PIN}), response=TOKENS,
          headers=(KIOSK_KEY,), problems=("kiosk_not_registered",),
          description=(
              "Replaces a one-time PIN with the inmate's own (6 to 12 digits); answers the tokens "
              'of a normal kiosk session.'),
          example=Example(
              params={"X-Kiosk-Key": "kio_demo.demo-kiosk-key-change-me-7Qm2xV9pL4tR8wZ1"},
              request={"new_pin": "90417365"},
              response={
                  "access_token": "Kp2Wq8Rt1Ym5Xz9Lc3Vb7NA.r4T8yU1iO5pA9sD2fG6hJ0kL3zX7cV1bN4mQ8wE2rT5",
                  "refresh_token": "Kp2Wq8Rt1Ym5Xz9Lc3Vb7NA.m6N9bV2cX5zL8kJ1hG4fD7sA0pO3iU6yT9rE2wQ5eR8",
                  "token_type": "Bearer",
                  "expires_in": 900,
              },
          ))
def inmate_change_pin(request: ApiRequest):
    return signin.change_pin(request.principal, request.body["new_pin"], request.client)


@endpoint(bp, "POST", "/v1/inmate/logout", summary="End this kiosk session", tag="inmate",
          roles=(INMATE_ROLE,), status=204, headers=(KIOSK_KEY,),
          description=(
              "Ends the kiosk session (the kiosk's sign-out button)."),
          example=Example(params={"X-Kiosk-Key": "kio_demo.demo-kiosk-key-change-me-7Qm2xV9pL4tR8wZ1"}))
def inmate_logout(request: ApiRequest):
    signin.log_out(request.principal)
    return Reply(204)


# --- staff: inmates' kiosk sign-in ---------------------------------------------------------

@endpoint(bp, "POST", "/v1/staff/inmates/{inmate_id}/unlock",
          summary="Lift an inmate's kiosk sign-in lock", tag="staff", roles=STAFF_OR_ADMIN,
          query=obj(optional=FACILITY_QUERY), status=204, problems=("inmate_not_found",),
          description=(
              'Staff lift the kiosk sign-in lock of one of their inmates (also the lock that holds '
              'until staff act, after repeated locks).'),
          example=Example(params={"inmate_id": "inm_A1001"}))
def unlock_inmate(request: ApiRequest, inmate_id: str):
    signin.unlock(_facility(request), inmate_id, request.principal)
    return Reply(204)


@endpoint(bp, "POST", "/v1/staff/inmates/{inmate_id}/pin",
          summary="Issue a one-time PIN (shown once)", tag="staff", roles=STAFF_OR_ADMIN,
          query=obj(optional=FACILITY_QUERY), response=obj({"pin": PIN}), problems=("inmate_not_found",),
          description=(
              'Staff issue a one-time PIN (shown once) for an inmate who forgot theirs; it opens '
              'only a session that must choose a new PIN.'),
          example=Example(params={"inmate_id": "inm_A1001"}, response={"pin": "735102"}))
def issue_inmate_pin(request: ApiRequest, inmate_id: str):
    return signin.issue_one_time_pin(_facility(request), inmate_id, request.principal)


@endpoint(bp, "POST", "/v1/staff/inmates/{inmate_id}/sessions/revoke",
          summary="End every kiosk session of an inmate", tag="staff", roles=STAFF_OR_ADMIN,
          query=obj(optional=FACILITY_QUERY), status=204, problems=("inmate_not_found",),
          description=(
              'Staff end every kiosk session of an inmate at once.'),
          example=Example(params={"inmate_id": "inm_A1001"}))
def revoke_inmate_sessions(request: ApiRequest, inmate_id: str):
    signin.revoke_sessions(_facility(request), inmate_id, request.principal)
    return Reply(204)
