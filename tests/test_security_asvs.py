"""Security regression suite, organised by OWASP ASVS 4.0.3 (Level 2) requirement IDs.

This module is the auditor's index: every test names the requirement(s) it proves and makes
the assertions itself, through the public API wherever the requirement is visible there.  Many
rules also have detailed tests elsewhere in tests/; those stay the place for edge cases.

Sections: V4 access control (the full authorization matrix), V2 authentication (passwords,
anti-automation, enumeration, recovery, one-time values), V3 sessions, V7 logging and secrets,
V11 business logic.
"""
from __future__ import annotations

import pytest

from chalicelib.web.endpoint import ENDPOINTS
from tests.conftest import STRONG_PASSWORD
from tests.messaging_support import world  # noqa: F401  (fixture)
from tests.money_fixtures import card  # noqa: F401  (fixture)
from tests.security_support import (ROLES, Cast, build_cast, changes, fresh_key, snapshot)

# =============================================================================================
# V4 Access control: the authorization matrix
# =============================================================================================
# Outcome classes.  ALLOWED: the role may use the endpoint (it may still get a 4xx for the body,
# never 401/403/5xx).  PUBLIC: no sign-in; the answer does not depend on who calls.  401/403/404:
# refused with exactly that status, and nothing in any table changes.
ALLOWED, PUBLIC = "allowed", "public"
SIGNED_IN = ("owner", "other_family", "staff", "other_staff", "admin")
FAMILIES = ("owner", "other_family")


def rule(allowed=(), private=(), public=False) -> dict[str, str | int]:
    """A row of the table: ``allowed`` roles may call, ``private`` ones (right role, someone
    else's object) get 404, every other signed-in role 403 and no token 401."""
    if public:
        return {role: PUBLIC for role in ROLES}
    row: dict[str, str | int] = {role: 403 for role in ROLES}
    row["anonymous"] = 401
    row.update({role: 404 for role in private})
    row.update({role: ALLOWED for role in allowed})
    return row


# (endpoint) -> expected outcome per role.  Object ids in paths always belong to the owner (a
# family at the demo facility) or, for admin actions, to a third family: see ``request_for``.
ACCESS = {
    "POST /v1/auth/signup": rule(public=True),
    "POST /v1/auth/verify-email": rule(public=True),
    "POST /v1/auth/login": rule(public=True),
    "POST /v1/auth/mfa": rule(public=True),
    "POST /v1/auth/mfa/send": rule(public=True),
    "POST /v1/auth/refresh": rule(public=True),
    "POST /v1/auth/logout": rule(SIGNED_IN),
    "GET /v1/account": rule(SIGNED_IN),
    "POST /v1/admin/accounts/{account_id}/unlock": rule(("admin",)),
    "POST /v1/admin/accounts/{account_id}/disable": rule(("admin",)),
    "POST /v1/auth/password/forgot": rule(public=True),
    "POST /v1/auth/password/reset": rule(public=True),
    "POST /v1/account/password": rule(SIGNED_IN),
    "POST /v1/account/phone": rule(SIGNED_IN),
    "POST /v1/account/phone/verify": rule(SIGNED_IN),
    "GET /reset-password": rule(public=True),
    "POST /v1/account/mfa/totp/setup": rule(SIGNED_IN),
    "POST /v1/account/mfa/totp/confirm": rule(SIGNED_IN),
    "DELETE /v1/account/mfa/totp": rule(SIGNED_IN),
    "GET /v1/account/sessions": rule(SIGNED_IN),
    "DELETE /v1/account/sessions/{session_id}":
        rule(("owner",), private=("other_family", "staff", "other_staff", "admin")),
    "GET /v1/account/activity": rule(SIGNED_IN),
    "POST /v1/account/preferences": rule(SIGNED_IN),
    "GET /v1/health": rule(public=True),
    "GET /v1/openapi.json": rule(public=True),
    "GET /v1/facilities": rule(public=True),
    # Staff search only their own facility's roll.
    "GET /v1/facilities/{facility_id}/inmates": rule(FAMILIES + ("staff", "admin")),
    "GET /v1/deposits/quote": rule(FAMILIES),
    "POST /v1/deposits": rule(FAMILIES),
    "GET /v1/deposits": rule(FAMILIES),
    "GET /v1/deposits/{deposit_id}": rule(("owner",), private=("other_family",)),
    "POST /v1/stamps/purchase": rule(FAMILIES),
    "GET /v1/stamps": rule(FAMILIES),
    "GET /v1/staff/inmates/{inmate_id}/balance": rule(("staff",), private=("other_staff",)),
    "POST /v1/staff/deposits/{deposit_id}/refund": rule(("staff",), private=("other_staff",)),
    "GET /v1/staff/flags": rule(("staff", "other_staff")),
    "POST /v1/staff/flags/{flag_id}/decision": rule(("staff",), private=("other_staff",)),
    "POST /v1/contacts": rule(FAMILIES),
    "GET /v1/contacts": rule(FAMILIES),
    "GET /v1/staff/contacts": rule(("staff", "other_staff")),
    "POST /v1/staff/contacts/{contact_id}/decision": rule(("staff",), private=("other_staff",)),
    "POST /v1/contacts/{contact_id}/messages": rule(("owner",), private=("other_family",)),
    "GET /v1/contacts/{contact_id}/messages": rule(("owner",), private=("other_family",)),
    "GET /v1/staff/messages": rule(("staff", "other_staff")),
    "GET /v1/staff/messages/{message_id}": rule(("staff",), private=("other_staff",)),
    "POST /v1/staff/messages/{message_id}/decision": rule(("staff",), private=("other_staff",)),
    "POST /v1/inmate/login": rule(public=True),
    "POST /v1/inmate/logout": rule(("inmate", "other_inmate")),
    "GET /v1/inmate/contacts": rule(("inmate", "other_inmate")),
    "GET /v1/inmate/messages": rule(("inmate", "other_inmate")),
    "GET /v1/inmate/messages/{message_id}": rule(("inmate",), private=("other_inmate",)),
    "POST /v1/inmate/messages": rule(("inmate",), private=("other_inmate",)),
}

# Calls whose success changes the caller's password or ends its session: they run last, in
# this order, so every other call still has a live token.
RUN_LAST = ("POST /v1/account/password", "POST /v1/auth/logout", "POST /v1/inmate/logout")


def endpoint_key(spec) -> str:
    return f"{spec.method} {spec.path}"


def request_for(key: str, cast: Cast) -> tuple[str, dict | None, dict]:
    """A well-formed request to ``key`` reaching for the owner's objects: (path, body, headers).
    Bodies pass validation, so a refusal can only come from authorization."""
    ids = dict(cast.ids)
    if key == "POST /v1/staff/contacts/{contact_id}/decision":
        ids["contact_id"] = ids["pending_contact_id"]
    if key.startswith("GET /v1/inmate/messages/"):
        ids["message_id"] = ids["delivered_message_id"]
    method, path = key.split(" ", 1)
    path = path.format(**ids)
    bodies = {
        "POST /v1/auth/signup": {"email": "newcomer@example.com", "password": STRONG_PASSWORD,
                                 "full_name": "New Comer"},
        "POST /v1/auth/verify-email": {"email": cast.victim_email, "code": "000000"},
        "POST /v1/auth/login": {"email": cast.victim_email, "password": STRONG_PASSWORD},
        "POST /v1/auth/mfa": {"challenge_id": "no-such-challenge", "method": "totp",
                              "code": "000000"},
        "POST /v1/auth/mfa/send": {"challenge_id": "no-such-challenge", "method": "email"},
        "POST /v1/auth/refresh": {"refresh_token": "no.such-token"},
        "POST /v1/auth/password/forgot": {"email": cast.victim_email},
        "POST /v1/auth/password/reset": {"token": "x" * 43, "new_password": STRONG_PASSWORD},
        "POST /v1/account/password": {"current_password": STRONG_PASSWORD,
                                      "new_password": STRONG_PASSWORD + " and more"},
        "POST /v1/account/phone": {"phone": "+12025550143"},
        "POST /v1/account/phone/verify": {"code": "000000"},
        "POST /v1/account/mfa/totp/confirm": {"code": "000000"},
        "DELETE /v1/account/mfa/totp": {"password": STRONG_PASSWORD, "code": "000000"},
        "POST /v1/account/preferences": {},
        "POST /v1/deposits": {"inmate_id": ids["inmate_id"], "account": "trust",
                              "amount_cents": 1500, "payment_method_token": "tok_visa"},
        "POST /v1/stamps/purchase": {"facility_id": ids["facility_id"], "quantity": 2,
                                     "payment_method_token": "tok_visa"},
        "POST /v1/staff/deposits/{deposit_id}/refund": {"reason": "sent to the wrong person"},
        "POST /v1/staff/flags/{flag_id}/decision": {"decision": "cleared", "reason": "known"},
        "POST /v1/contacts": {"inmate_id": ids["inmate_id"]},
        "POST /v1/staff/contacts/{contact_id}/decision": {"decision": "approve"},
        "POST /v1/contacts/{contact_id}/messages": {"body": "Thinking of you"},
        "POST /v1/staff/messages/{message_id}/decision": {"decision": "approve"},
        "POST /v1/inmate/login": {"facility_id": ids["facility_id"], "inmate_number": "A1002",
                                  "pin": "4826"},
        "POST /v1/inmate/messages": {"contact_id": ids["contact_id"], "body": "Thanks"},
    }
    queries = {
        "GET /v1/deposits/quote": f"?inmate_id={ids['inmate_id']}&account=trust&amount_cents=1500",
        "GET /reset-password": "?token=" + "x" * 43,
        "GET /v1/facilities/{facility_id}/inmates": "?q=A1",
    }
    headers = fresh_key() if key in ("POST /v1/deposits", "POST /v1/stamps/purchase",
                                     "POST /v1/contacts/{contact_id}/messages") else {}
    return path + queries.get(key, ""), bodies.get(key), headers


def test_v4_1_1_v4_1_5_every_endpoint_has_an_access_rule_for_every_role():
    """ASVS 4.1.1/4.1.5 (deny by default, fail securely): an endpoint with no declared rule, or
    a rule that forgets a role, fails here before it can ship."""
    declared = {endpoint_key(spec) for spec in ENDPOINTS}
    assert declared - ACCESS.keys() == set(), "endpoints without an access rule"
    assert ACCESS.keys() - declared == set(), "rules for endpoints that no longer exist"
    for key, row in ACCESS.items():
        assert set(row) == set(ROLES), key
    for spec in ENDPOINTS:  # a public row must match a route that asks for no sign-in
        public = all(outcome == PUBLIC for outcome in ACCESS[endpoint_key(spec)].values())
        assert public == (spec.roles is None), endpoint_key(spec)


def _call(cast: Cast, key: str, role: str):
    path, body, headers = request_for(key, cast)
    method = key.split(" ", 1)[0]
    if key == "GET /reset-password":  # the one HTML answer; the JSON client cannot parse it
        response = cast.world.api.client.http.get(path)
        response.json = None
        return response
    return cast.world.api.call(method, path, body, token=cast.tokens[role], headers=headers)


def test_v4_1_1_v4_1_3_v4_2_1_authorization_matrix_every_endpoint_every_role(world, card):
    """ASVS 4.1.1 (enforced server side), 4.1.3 (least privilege), 4.2.1 (object level, IDOR),
    4.1.5 (deny by default) and 3.x (401 without a token): every endpoint in ``ENDPOINTS`` ×
    every role × the owner's object ids gets exactly its declared outcome; no refused call
    changes anything in any table."""
    cast = build_cast(world)
    keys = [endpoint_key(spec) for spec in ENDPOINTS]
    assert set(keys) <= ACCESS.keys(), "every endpoint needs a row in ACCESS"
    wrong: list[tuple] = []

    # Phase 1: every refused call, on untouched state.
    before = snapshot()
    for key in keys:
        for role, outcome in ACCESS[key].items():
            if isinstance(outcome, int):
                response = _call(cast, key, role)
                if response.status_code != outcome:
                    wrong.append((key, role, outcome, response.status_code, response.json))
    assert changes(before, snapshot()) == {}, "a refused call changed stored state"

    # Phase 2: the allowed and public calls; those that end the caller's session come last.
    for key in sorted(keys, key=lambda k: RUN_LAST.index(k) + 1 if k in RUN_LAST else 0):
        public_statuses = set()
        for role, outcome in ACCESS[key].items():
            if outcome == ALLOWED:
                response = _call(cast, key, role)
                if response.status_code in (401, 403) or response.status_code >= 500:
                    wrong.append((key, role, outcome, response.status_code, response.json))
            elif outcome == PUBLIC:
                response = _call(cast, key, role)
                public_statuses.add(response.status_code)
                if response.status_code >= 500:
                    wrong.append((key, role, outcome, response.status_code, response.json))
        if len(public_statuses) > 1:
            wrong.append((key, "every role", PUBLIC, sorted(public_statuses), None))
    assert wrong == []
    print(f"authorization matrix: {len(keys)} endpoints x {len(ROLES)} roles")
