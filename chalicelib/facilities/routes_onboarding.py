"""HTTP routes an admin uses to staff a facility and connect its call platform (api.md
"Operating a facility"): invite staff by email, and issue, list and revoke platform keys.
The facility is checked here, before the invitation (accounts) is asked for."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import accounts
from chalicelib.core import lazy
from chalicelib.core.errors import NotFound
from chalicelib.core.i18n import _
from chalicelib.facilities import store
from chalicelib.web.endpoint import PAGINATION, ApiRequest, Example, Reply, endpoint
from chalicelib.web.schema import BOOLEAN, EMAIL, NULLABLE_STRING, obj, page_of, person_name, string

platform_keys = lazy.module("chalicelib.facilities.platform_keys")

bp = Blueprint(__name__)
ADMIN = ("admin",)

INVITED = obj({"account_id": string(), "email": string(), "full_name": string(),
               "role": string(), "facility_id": string(), "invitation_sent": BOOLEAN,
               "invitation_expires_at": NULLABLE_STRING})
PLATFORM_KEY = obj({"key_id": string(), "facility_id": string(), "label": string(),
                    "created_at": string(), "created_by": string(),
                    "revoked_at": NULLABLE_STRING}, {"key": string()})

KEY_EXAMPLE = {"key_id": "plk_4nQ8vR2mX7tL9pZ1wK3bYA", "facility_id": "demo-county",
               "label": "Call platform", "created_at": "2026-12-01T09:00:00Z",
               "created_by": "acc_Sf4Gh7Jk0Lz3Xc6Vb9Nm2QA", "revoked_at": None}


def _existing_facility(facility_id: str) -> store.Facility:
    found = store.facility(facility_id)
    if found is None:
        raise NotFound(_("No such facility."))
    return found


@endpoint(bp, "POST", "/v1/admin/staff",
          summary="Invite a staff member by email (a single-use link to set a password)",
          tag="admin", roles=ADMIN,
          body=obj({"email": EMAIL, "full_name": person_name(), "facility_id": string(1, 64)}),
          status=201, response=INVITED, problems=("email_taken", "not_found"),
          description=(
              "Creates the staff account of a facility and emails the person a single-use link "
              "(72 hours) to a page where they choose a password; their first sign-in then "
              "enrols TOTP. Inviting a pending address again replaces the old link."),
          example=Example(
              request={"email": "officer@demo-county.example", "full_name": "Dana Officer",
                       "facility_id": "demo-county"},
              response={"account_id": "acc_Q2w3E4r5T6y7U8i9O0pLkA",
                        "email": "officer@demo-county.example", "full_name": "Dana Officer",
                        "role": "staff", "facility_id": "demo-county", "invitation_sent": True,
                        "invitation_expires_at": "2026-12-04T09:00:00Z"}))
def invite(request: ApiRequest):
    body = request.body
    facility = _existing_facility(body["facility_id"])
    return accounts.invite_staff(body["email"], body["full_name"], facility.facility_id, facility.name,
                        request.client, by=request.principal.account_id)


@endpoint(bp, "POST", "/v1/admin/facilities/{facility_id}/platform-keys",
          summary="Issue a call platform key (shown once)", tag="admin", roles=ADMIN,
          body=obj(optional={"label": string(1, 100)}), status=201, response=PLATFORM_KEY,
          problems=("not_found",),
          description=(
              "Issues a key for the facility's call platform. The answer holds the key "
              "`plk_<id>.<secret>` this once; the platform sends it as `X-Platform-Key`."),
          example=Example(params={"facility_id": "demo-county"}, request={"label": "Call platform"},
                          response={**KEY_EXAMPLE, "key": f"{KEY_EXAMPLE['key_id']}.s3cr3t-once"}))
def issue_platform_key(request: ApiRequest, facility_id: str):
    _existing_facility(facility_id)
    return platform_keys.issue(facility_id, request.body.get("label") or "Call platform",
                               by=request.principal.account_id)


@endpoint(bp, "GET", "/v1/admin/facilities/{facility_id}/platform-keys",
          summary="The facility's call platform keys, newest first (no secrets)", tag="admin",
          roles=ADMIN, query=obj(optional=PAGINATION), response=page_of(PLATFORM_KEY),
          problems=("not_found",),
          description="The facility's call platform keys, newest first, revoked ones included.",
          example=Example(params={"facility_id": "demo-county", "limit": 20},
                          response={"items": [KEY_EXAMPLE], "next_cursor": None}))
def list_platform_keys(request: ApiRequest, facility_id: str):
    _existing_facility(facility_id)
    return platform_keys.listing(facility_id, request.query.get("limit", 20),
                                 request.query.get("cursor"))


@endpoint(bp, "DELETE", "/v1/admin/facilities/{facility_id}/platform-keys/{key_id}",
          summary="Revoke a call platform key at once", tag="admin", roles=ADMIN, status=204,
          problems=("platform_key_not_found",),
          description="Revokes a platform key at once: calls it authorises from then are refused.",
          example=Example(params={"facility_id": "demo-county",
                                  "key_id": "plk_4nQ8vR2mX7tL9pZ1wK3bYA"}))
def revoke_platform_key(request: ApiRequest, facility_id: str, key_id: str):
    platform_keys.revoke(facility_id, key_id, by=request.principal.account_id)
    return Reply(204)
