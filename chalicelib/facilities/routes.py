"""HTTP routes of facilities, inmate search (api.md "Facilities, inmates, contacts") and the
facility's kiosks (api.md "Kiosks and inmates")."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.facilities import kiosks, service
from chalicelib.web.endpoint import (ANY_ROLE, FACILITY_QUERY, PAGINATION, STAFF_OR_ADMIN,
                                     ApiRequest, Header, Reply, endpoint)
from chalicelib.web.schema import NULLABLE_STRING, obj, page_of, string

bp = Blueprint(__name__)

INTEGER = {"type": "integer"}
FEE_TIER = obj({"account": string(), "up_to_cents": INTEGER, "fee_cents": INTEGER})
FACILITY = obj({"facility_id": string(), "name": string(), "state": string(),
                "stamp_price_cents": INTEGER,
                "deposit_limits": obj({"min_cents": INTEGER, "max_cents": INTEGER,
                                       "daily_cap_cents": INTEGER}),
                "fee_schedule": {"type": "array", "items": FEE_TIER}})
KIOSK_KEY = Header("X-Kiosk-Key", True, description="The key of the registered kiosk making "
                   "the request (issued by the facility's staff; inmate sign-in and sessions).")
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
