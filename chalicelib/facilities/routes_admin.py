"""HTTP routes of operating a facility (docs/api.md "Operating a facility"): admins create and change
facilities, put their rules and import their rosters; anyone reads a facility's policies; staff
read their facility's rejection reasons."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.core import lazy
from chalicelib.core.i18n import N_
from chalicelib.facilities import admin, caps, roster, rulebook
from chalicelib.facilities.store import US_STATES
from chalicelib.web.endpoint import (FACILITY_QUERY, STAFF_OR_ADMIN, ApiRequest, Example,
                                     Reply, endpoint)
from chalicelib.web.schema import NULLABLE_STRING, integer, named, obj, string, written_text

policies = lazy.module("chalicelib.facilities.policies")
service = lazy.module("chalicelib.facilities.service")

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

# Examples for the document (docs/api.md, GET /docs).
LAKE = {"facility_id": "lake-county", "name": "Lake County Jail", "state": "IL",
        "timezone": "America/Chicago", "kind": "jail", "average_daily_population": 420}
LAKE_VIEW = {**LAKE, "size_tier": "medium_jail", "listed": False,
             "rules_version": 0, "roster_generation": 0}
RULES_EXAMPLE = {
    "deposit_min_cents": 100, "deposit_max_cents": 30000, "daily_cap_cents_per_sender": 100000,
    "fee_tiers": [{"up_to_cents": 2000, "fee_cents": 30}, {"up_to_cents": 30000, "fee_cents": 90}],
    "processor_cost": {"percent": 2.9, "fixed_cents": 30}, "stamp_price_cents": 39,
    "watch_words": {"en": ["escape"], "es": ["fuga"]},
    "rejection_reasons": [{"code": "safety", "en": "Threatens safety or security",
                           "es": "Amenaza la seguridad"}],
    "calls_paid_by": "family", "call_rate_cents_per_minute": 10, "call_max_minutes": 15,
    "call_hours": {"opens": "07:00", "closes": "23:00"},
    "visit_policy": {"video": {"price_cents_per_minute": 15}}}
IMPORT_EXAMPLE = {"import_id": "imp_8fJ2kQ", "facility_id": "lake-county", "status": "applied",
                  "generation": 3, "counts": {"rows": 412, "admitted": 9, "returned": 1,
                                              "updated": 4, "unchanged": 390, "released": 7,
                                              "held": 404},
                  "created_at": "2026-12-01T14:00:00Z", "finished_at": "2026-12-01T14:00:02Z"}


@endpoint(bp, "POST", "/v1/admin/facilities", summary="Create a facility", tag="admin",
          roles=ADMIN, status=201, response=FACILITY, problems=("facility_exists",),
          body=obj({"facility_id": string(1, 64, pattern=admin.FACILITY_ID_PATTERN, **{
              "x-pattern-problem": N_("must be lower-case letters, digits and hyphens")}),
              **FACILITY_FIELDS, "state": string(2, 2, enum=list(US_STATES)),
              "kind": {"type": "string", "enum": list(caps.KINDS)},
              "average_daily_population": POPULATION}),
          description="Creates an unlisted facility; its legal size tier follows from kind and "
                      "average daily population. It is listed once its rules are put.",
          example=Example(request=LAKE, response=LAKE_VIEW))
def create_facility(request: ApiRequest):
    return admin.create(request.body, by=request.principal.account_id)


@endpoint(bp, "PATCH", "/v1/admin/facilities/{facility_id}", summary="Change a facility",
          tag="admin", roles=ADMIN, response=FACILITY, problems=("not_found",),
          body=obj(optional={**FACILITY_FIELDS, "average_daily_population": POPULATION}),
          description="Changes the name, time zone or average daily population (recomputed "
                      "yearly: the size tier, hence the legal caps, follow it).",
          example=Example(params={"facility_id": "lake-county"},
                          request={"average_daily_population": 1200},
                          response={**LAKE_VIEW, "average_daily_population": 1200,
                                    "size_tier": "large_jail"}))
def update_facility(request: ApiRequest, facility_id: str):
    return admin.update(facility_id, request.body, by=request.principal.account_id)


@endpoint(bp, "PUT", "/v1/admin/facilities/{facility_id}/rules",
          summary="Replace a facility's rules", tag="admin", roles=ADMIN,
          body=named("FacilityRules", rulebook.FACILITY_RULES), response=rulebook.FACILITY_RULES,
          problems=("not_found", "rule_not_allowed"), max_body_bytes=256 * 1024,
          description="Replaces the whole rules document. A fee on phone, calling or video "
                      "accounts, a per-minute rate above the legal cap for the facility's tier, "
                      "or a trust fee above processor_cost is refused: 422 rule_not_allowed, "
                      "with rule naming the field.",
          example=Example(params={"facility_id": "lake-county"}, request=RULES_EXAMPLE,
                          response=RULES_EXAMPLE))
def put_rules(request: ApiRequest, facility_id: str):
    return rulebook.put_rules(facility_id, request.body, by=request.principal.account_id)


@endpoint(bp, "GET", "/v1/facilities/{facility_id}/policies",
          summary="A facility's fees, limits, rates with their legal caps, rejection reasons "
                  "and visit rules, in the caller's language", tag="facilities",
          response=POLICIES, problems=("not_found",),
          description="No sign-in. Labels and rejection reasons come in the caller's language "
                      "(Accept-Language); codes never change.",
          example=Example(params={"facility_id": "demo-county"}, response={
              "facility_id": "demo-county", "name": "Demo County Jail", "state": "MD",
              "timezone": "America/New_York", "size_tier": "medium_jail", "language": "en",
              "fees": [{"account": "trust", "up_to_cents": 2000, "fee_cents": 30,
                        "label": "Trust account deposit up to $20.00"}],
              "limits": [{"code": "deposit_min_cents", "label": "Smallest deposit",
                          "cents": 100}],
              "rates": [{"code": "audio_call", "label": "Phone call, per minute",
                         "cents_per_minute": 10, "legal_cap_cents_per_minute": 12,
                         "legal_basis": "FCC 25-75", "paid_by": "family", "max_minutes": 15,
                         "call_hours": {"opens": "07:00", "closes": "23:00"}}],
              "stamps": {"stamp_price_cents": 39},
              "rejection_reasons": [{"code": "harassment", "text": "Harassment"}],
              "visit_rules": {"policy": {}}}))
def facility_policies(request: ApiRequest, facility_id: str):
    return policies.published(facility_id)


@endpoint(bp, "GET", "/v1/staff/rejection-reasons",
          summary="The facility's message rejection reasons (send the code as the reason)",
          tag="staff", roles=STAFF_OR_ADMIN, query=obj(optional=FACILITY_QUERY),
          response=REASONS, problems=("not_found",),
          description="The reasons staff pick from when rejecting a message: send the code as "
                      "the decision's reason. text is in the caller's language.",
          example=Example(response={"items": [{"code": "harassment", "en": "Harassment",
                                               "es": "Acoso", "text": "Harassment"}]}))
def rejection_reasons(request: ApiRequest):
    facility_id = service.facility_in_charge(request.principal, request.query.get("facility_id"))
    return policies.reasons_for_staff(facility_id)


@endpoint(bp, "PUT", "/v1/admin/facilities/{facility_id}/roster",
          summary="Import the full roster (text/csv or JSON), applied as one generation",
          tag="admin", roles=ADMIN, status=202, body=ROSTER, text_body="text/csv",
          query=obj(optional={"confirm_releases": integer(0, roster.MAX_ROWS)}),
          response=obj({"import_id": string()}), max_body_bytes=ROSTER_BYTES,
          problems=("not_found", "roster_invalid", "mass_release_suspected",
                    "import_in_progress"),
          description="The full list of people held, as text/csv (header inmate_number,"
                      "first_name,last_name,status,housing_unit) or JSON. Validated whole, then "
                      "applied as one generation; people missing or released are released.",
          example=Example(params={"facility_id": "lake-county"}, request={"inmates": [
              {"inmate_number": "L2001", "first_name": "Ana", "last_name": "Diaz",
               "status": "in_custody", "housing_unit": "B-4"}]},
              response={"import_id": "imp_8fJ2kQ"}))
def import_roster(request: ApiRequest, facility_id: str):
    rows = (roster.rows_from_csv(request.text) if request.text is not None
            else request.body.get("inmates", []))
    return Reply(202, roster.import_roster(facility_id, rows,
                                           request.query.get("confirm_releases"),
                                           by=request.principal.account_id))


@endpoint(bp, "GET", "/v1/admin/facilities/{facility_id}/roster/imports/{import_id}",
          summary="A roster import's status and counts", tag="admin", roles=ADMIN,
          response=IMPORT, problems=("import_not_found",),
          description="Where a roster import stands (applying, applied, failed) and what it "
                      "changed.",
          example=Example(params={"facility_id": "lake-county", "import_id": "imp_8fJ2kQ"},
                          response=IMPORT_EXAMPLE))
def roster_import(request: ApiRequest, facility_id: str, import_id: str):
    return roster.import_status(facility_id, import_id)
