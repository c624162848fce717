"""HTTP routes of facilities and inmate search (api.md "Facilities, inmates, contacts")."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.facilities import service
from chalicelib.web.endpoint import ANY_ROLE, PAGINATION, ApiRequest, endpoint
from chalicelib.web.schema import obj, page_of, string

bp = Blueprint(__name__)

INTEGER = {"type": "integer"}
FEE_TIER = obj({"account": string(), "up_to_cents": INTEGER, "fee_cents": INTEGER})
FACILITY = obj({"facility_id": string(), "name": string(), "state": string(),
                "stamp_price_cents": INTEGER,
                "deposit_limits": obj({"min_cents": INTEGER, "max_cents": INTEGER,
                                       "daily_cap_cents": INTEGER}),
                "fee_schedule": {"type": "array", "items": FEE_TIER}})
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
