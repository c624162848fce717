"""HTTP routes of facilities, inmate search (api.md "Facilities, inmates, contacts"), the
facility's kiosks and the inmates' kiosk sign-in (api.md "Kiosks and inmates")."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.facilities import kiosks, service, signin
from chalicelib.web.endpoint import (ANY_ROLE, FACILITY_QUERY, KIOSK_KEY, PAGINATION,
                                     STAFF_OR_ADMIN, ApiRequest, Reply, endpoint)
from chalicelib.web.schema import NULLABLE_STRING, TOKENS, obj, page_of, string

bp = Blueprint(__name__)

INTEGER = {"type": "integer"}
FEE_TIER = obj({"account": string(), "up_to_cents": INTEGER, "fee_cents": INTEGER})
FACILITY = obj({"facility_id": string(), "name": string(), "state": string(),
                "stamp_price_cents": INTEGER,
                "deposit_limits": obj({"min_cents": INTEGER, "max_cents": INTEGER,
                                       "daily_cap_cents": INTEGER}),
                "fee_schedule": {"type": "array", "items": FEE_TIER}})
KIOSK = obj({"kiosk_id": string(), "facility_id": string(), "label": string(),
             "created_at": string(), "created_by": string(),
             "revoked_at": NULLABLE_STRING}, {"key": string()})
INMATE = obj({"inmate_id": string(), "full_name": string(), "inmate_number": string(),
              "facility_id": string()})


@endpoint(bp, "GET", "/v1/facilities", summary="Facilities with their fees and deposit limits",
          tag="facilities", query=obj(optional=PAGINATION), response=page_of(FACILITY))
def list_facilities(request: ApiRequest):
    return service.list_facilities(request.query.get("limit", 20), request.query.get("cursor"))


@endpoint(bp, "GET", "/v1/facilities/{facility_id}/inmates",
          summary="Find an inmate by last-name prefix or inmate-number prefix", tag="facilities",
          roles=ANY_ROLE, query=obj(optional={**PAGINATION, "q": string(0, 100)}),
          response=page_of(INMATE), problems=("not_found",))
def search_inmates(request: ApiRequest, facility_id: str):
    return service.search_inmates(request.principal, facility_id, request.query.get("q", ""),
                                  request.query.get("limit", 20), request.query.get("cursor"))


# --- kiosks (staff of the facility; admins with ?facility_id=) -----------------------------

def _facility(request: ApiRequest) -> str:
    return service.facility_in_charge(request.principal, request.query.get("facility_id"))


@endpoint(bp, "POST", "/v1/staff/kiosks", summary="Register a kiosk (its key is shown once)",
          tag="staff", roles=STAFF_OR_ADMIN, query=obj(optional=FACILITY_QUERY),
          body=obj({"label": string(1, 100)}), status=201, response=KIOSK)
def register_kiosk(request: ApiRequest):
    return kiosks.register(_facility(request), request.body["label"],
                           by=request.principal.account_id)


@endpoint(bp, "GET", "/v1/staff/kiosks", summary="The facility's kiosks, newest first",
          tag="staff", roles=STAFF_OR_ADMIN,
          query=obj(optional={**PAGINATION, **FACILITY_QUERY}), response=page_of(KIOSK))
def list_kiosks(request: ApiRequest):
    return kiosks.listing(_facility(request), request.query.get("limit", 20),
                          request.query.get("cursor"))


@endpoint(bp, "DELETE", "/v1/staff/kiosks/{kiosk_id}", summary="Revoke a kiosk at once",
          tag="staff", roles=STAFF_OR_ADMIN, query=obj(optional=FACILITY_QUERY), status=204,
          problems=("kiosk_not_found",))
def revoke_kiosk(request: ApiRequest, kiosk_id: str):
    kiosks.revoke(_facility(request), kiosk_id, by=request.principal.account_id)
    return Reply(204)


# --- inmates' kiosk sign-in ----------------------------------------------------------------

PIN = string(6, 12, pattern=signin.PIN_PATTERN)
# After a one-time PIN: tokens of a session that may only choose a new PIN.
KIOSK_TOKENS = {**TOKENS, "properties": {**TOKENS["properties"],
                                         "pin_change_required": {"type": "boolean"}}}


@endpoint(bp, "POST", "/v1/inmate/login", summary="Kiosk sign-in", tag="inmate",
          body=obj({"facility_id": string(1, 64), "inmate_number": string(1, 32), "pin": string(1, 64)}),
          response=KIOSK_TOKENS, headers=(KIOSK_KEY,),
          problems=("kiosk_not_registered", "invalid_credentials", "account_locked",
                    "inmate_locked", "rate_limited"))
def inmate_login(request: ApiRequest):
    body = request.body
    return signin.log_in(body["facility_id"], body["inmate_number"], body["pin"], request.client)


@endpoint(bp, "POST", "/v1/inmate/pin", summary="Replace a one-time PIN", tag="inmate",
          roles=(signin.PIN_CHANGE_ROLE,), body=obj({"new_pin": PIN}), response=TOKENS,
          headers=(KIOSK_KEY,), problems=("kiosk_not_registered",))
def inmate_change_pin(request: ApiRequest):
    return signin.change_pin(request.principal, request.body["new_pin"], request.client)


@endpoint(bp, "POST", "/v1/inmate/logout", summary="End this kiosk session", tag="inmate",
          roles=(signin.INMATE_ROLE,), status=204, headers=(KIOSK_KEY,))
def inmate_logout(request: ApiRequest):
    signin.log_out(request.principal)
    return Reply(204)


# --- staff: inmates' kiosk sign-in ---------------------------------------------------------

@endpoint(bp, "POST", "/v1/staff/inmates/{inmate_id}/unlock",
          summary="Lift an inmate's kiosk sign-in lock", tag="staff", roles=STAFF_OR_ADMIN,
          query=obj(optional=FACILITY_QUERY), status=204, problems=("inmate_not_found",))
def unlock_inmate(request: ApiRequest, inmate_id: str):
    signin.unlock(_facility(request), inmate_id, request.principal)
    return Reply(204)


@endpoint(bp, "POST", "/v1/staff/inmates/{inmate_id}/pin",
          summary="Issue a one-time PIN (shown once)", tag="staff", roles=STAFF_OR_ADMIN,
          query=obj(optional=FACILITY_QUERY), response=obj({"pin": PIN}), problems=("inmate_not_found",))
def issue_inmate_pin(request: ApiRequest, inmate_id: str):
    return signin.issue_one_time_pin(_facility(request), inmate_id, request.principal)


@endpoint(bp, "POST", "/v1/staff/inmates/{inmate_id}/sessions/revoke",
          summary="End every kiosk session of an inmate", tag="staff", roles=STAFF_OR_ADMIN,
          query=obj(optional=FACILITY_QUERY), status=204, problems=("inmate_not_found",))
def revoke_inmate_sessions(request: ApiRequest, inmate_id: str):
    signin.revoke_sessions(_facility(request), inmate_id, request.principal)
    return Reply(204)
