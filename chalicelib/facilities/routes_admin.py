"""HTTP routes of operating a facility (api.md "Operating a facility"): admins create and change
facilities, put their rules and import their rosters; anyone reads a facility's policies; staff
read their facility's rejection reasons."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.facilities import admin, caps, policies, roster, rulebook, service
from chalicelib.web.endpoint import (FACILITY_QUERY, STAFF_OR_ADMIN, ApiRequest, Reply,
                                     endpoint)
from chalicelib.web.schema import NULLABLE_STRING, integer, obj, string, written_text

bp = Blueprint(__name__)

ADMIN = ("admin",)
INTEGER = {"type": "integer"}
NULLABLE_INTEGER = {"type": ["integer", "null"]}
ANY_OBJECT = {"type": "object"}
POPULATION = integer(0, 1_000_000)
FACILITY_FIELDS = {"name": written_text(1, 200), "timezone": string(1, 64)}
FACILITY = obj({"facility_id": string(), "name": string(), "state": string(),
                "timezone": NULLABLE_STRING, "kind": NULLABLE_STRING,
                "average_daily_population": NULLABLE_INTEGER, "size_tier": NULLABLE_STRING,
                "listed": {"type": "boolean"}, "rules_version": INTEGER,
                "roster_generation": INTEGER})
LABELLED = {"type": "array", "items": ANY_OBJECT}
POLICIES = obj({"facility_id": string(), "name": string(), "state": string(),
                "timezone": NULLABLE_STRING, "size_tier": string(), "language": string(),
                "fees": LABELLED, "limits": LABELLED, "rates": LABELLED, "stamps": ANY_OBJECT,
                "rejection_reasons": {"type": "array", "items": obj({"code": string(),
                                                                     "text": string()})},
                "visit_rules": ANY_OBJECT})
REASONS = obj({"items": {"type": "array", "items": obj({"code": string(), "en": string(),
                                                        "es": string(), "text": string()})}})
ROSTER_ROW = obj(optional={name: string(0, 200) for name in roster.HEADER})
ROSTER = obj({"inmates": {"type": "array", "maxItems": roster.MAX_ROWS, "items": ROSTER_ROW}})
IMPORT = obj({"import_id": string(), "facility_id": string(), "status": string(),
              "generation": INTEGER, "counts": ANY_OBJECT, "created_at": string(),
              "finished_at": NULLABLE_STRING})
ROSTER_BYTES = 5 * 1024 * 1024  # 20,000 rows of CSV fit; under API Gateway's 10 MB


@endpoint(bp, "POST", "/v1/admin/facilities", summary="Create a facility", tag="admin",
          roles=ADMIN, status=201, response=FACILITY, problems=("facility_exists",),
          body=obj({"facility_id": string(1, 64, pattern=admin.FACILITY_ID_PATTERN, **{
              "x-pattern-problem": "must be lower-case letters, digits and hyphens"}),
              **FACILITY_FIELDS, "state": string(2, 2, pattern="^[A-Z]{2}$"),
              "kind": {"type": "string", "enum": list(caps.KINDS)},
              "average_daily_population": POPULATION}))
def create_facility(request: ApiRequest):
    return admin.create(request.body, by=request.principal.account_id)


@endpoint(bp, "PATCH", "/v1/admin/facilities/{facility_id}", summary="Change a facility",
          tag="admin", roles=ADMIN, response=FACILITY, problems=("not_found",),
          body=obj(optional={**FACILITY_FIELDS, "average_daily_population": POPULATION}))
def update_facility(request: ApiRequest, facility_id: str):
    return admin.update(facility_id, request.body, by=request.principal.account_id)


@endpoint(bp, "PUT", "/v1/admin/facilities/{facility_id}/rules",
          summary="Replace a facility's rules", tag="admin", roles=ADMIN,
          body=rulebook.FACILITY_RULES, response=rulebook.FACILITY_RULES,
          problems=("not_found", "rule_not_allowed"), max_body_bytes=256 * 1024)
def put_rules(request: ApiRequest, facility_id: str):
    return rulebook.put_rules(facility_id, request.body, by=request.principal.account_id)


@endpoint(bp, "GET", "/v1/facilities/{facility_id}/policies",
          summary="A facility's fees, limits, rates with their legal caps, rejection reasons "
                  "and visit rules, in the caller's language", tag="facilities",
          response=POLICIES, problems=("not_found",))
def facility_policies(request: ApiRequest, facility_id: str):
    return policies.published(facility_id)


@endpoint(bp, "GET", "/v1/staff/rejection-reasons",
          summary="The facility's message rejection reasons (send the code as the reason)",
          tag="staff", roles=STAFF_OR_ADMIN, query=obj(optional=FACILITY_QUERY),
          response=REASONS, problems=("not_found",))
def rejection_reasons(request: ApiRequest):
    facility_id = service.facility_in_charge(request.principal, request.query.get("facility_id"))
    return policies.reasons_for_staff(facility_id)


@endpoint(bp, "PUT", "/v1/admin/facilities/{facility_id}/roster",
          summary="Import the full roster (text/csv or JSON), applied as one generation",
          tag="admin", roles=ADMIN, status=202, body=ROSTER, text_body="text/csv",
          query=obj(optional={"confirm_releases": integer(0, roster.MAX_ROWS)}),
          response=obj({"import_id": string()}), max_body_bytes=ROSTER_BYTES,
          problems=("not_found", "roster_invalid", "mass_release_suspected",
                    "import_in_progress"))
def import_roster(request: ApiRequest, facility_id: str):
    rows = (roster.rows_from_csv(request.text) if request.text is not None
            else request.body.get("inmates", []))
    return Reply(202, roster.import_roster(facility_id, rows,
                                           request.query.get("confirm_releases"),
                                           by=request.principal.account_id))


@endpoint(bp, "GET", "/v1/admin/facilities/{facility_id}/roster/imports/{import_id}",
          summary="A roster import's status and counts", tag="admin", roles=ADMIN,
          response=IMPORT, problems=("import_not_found",))
def roster_import(request: ApiRequest, facility_id: str, import_id: str):
    return roster.import_status(facility_id, import_id)
