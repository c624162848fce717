"""HTTP routes an admin uses to staff a facility and connect its call platform (api.md
"Operating a facility"): invite staff by email, and issue, list and revoke platform keys.
The facility is checked here, before the invitation (accounts) is asked for."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.accounts import invite_staff
from chalicelib.core.errors import NotFound
from chalicelib.core.i18n import _
from chalicelib.facilities import platform_keys, store
from chalicelib.web.endpoint import PAGINATION, ApiRequest, Reply, endpoint
from chalicelib.web.schema import BOOLEAN, EMAIL, NULLABLE_STRING, obj, page_of, person_name, string

bp = Blueprint(__name__)
ADMIN = ("admin",)

INVITED = obj({"account_id": string(), "email": string(), "full_name": string(),
               "role": string(), "facility_id": string(), "invitation_sent": BOOLEAN,
               "invitation_expires_at": NULLABLE_STRING})
PLATFORM_KEY = obj({"key_id": string(), "facility_id": string(), "label": string(),
                    "created_at": string(), "created_by": string(),
                    "revoked_at": NULLABLE_STRING}, {"key": string()})


def _existing_facility(facility_id: str) -> store.Facility:
    found = store.facility(facility_id)
    if found is None:
        raise NotFound(_("No such facility."))
    return found


@endpoint(bp, "POST", "/v1/admin/staff",
          summary="Invite a staff member by email (a single-use link to set a password)",
          tag="admin", roles=ADMIN,
          body=obj({"email": EMAIL, "full_name": person_name(), "facility_id": string(1, 64)}),
          status=201, response=INVITED, problems=("email_taken", "not_found"))
def invite(request: ApiRequest):
    body = request.body
    facility = _existing_facility(body["facility_id"])
    return invite_staff(body["email"], body["full_name"], facility.facility_id, facility.name,
                        request.client, by=request.principal.account_id)


@endpoint(bp, "POST", "/v1/admin/facilities/{facility_id}/platform-keys",
          summary="Issue a call platform key (shown once)", tag="admin", roles=ADMIN,
          body=obj(optional={"label": string(1, 100)}), status=201, response=PLATFORM_KEY,
          problems=("not_found",))
def issue_platform_key(request: ApiRequest, facility_id: str):
    _existing_facility(facility_id)
    return platform_keys.issue(facility_id, request.body.get("label") or "Call platform",
                               by=request.principal.account_id)


@endpoint(bp, "GET", "/v1/admin/facilities/{facility_id}/platform-keys",
          summary="The facility's call platform keys, newest first (no secrets)", tag="admin",
          roles=ADMIN, query=obj(optional=PAGINATION), response=page_of(PLATFORM_KEY),
          problems=("not_found",))
def list_platform_keys(request: ApiRequest, facility_id: str):
    _existing_facility(facility_id)
    return platform_keys.listing(facility_id, request.query.get("limit", 20),
                                 request.query.get("cursor"))


@endpoint(bp, "DELETE", "/v1/admin/facilities/{facility_id}/platform-keys/{key_id}",
          summary="Revoke a call platform key at once", tag="admin", roles=ADMIN, status=204,
          problems=("platform_key_not_found",))
def revoke_platform_key(request: ApiRequest, facility_id: str, key_id: str):
    platform_keys.revoke(facility_id, key_id, by=request.principal.account_id)
    return Reply(204)
