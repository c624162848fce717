"""Security regression suite, organised by OWASP ASVS 4.0.3 (Level 2) requirement IDs.

This module is the auditor's index: every test names the requirement(s) it proves and makes
the assertions itself, through the public API wherever the requirement is visible there.  Many
rules also have detailed tests elsewhere in tests/; those stay the place for edge cases.

Sections: V4 access control (the full authorization matrix), V2 authentication (passwords,
anti-automation, enumeration, recovery, one-time values), V3 sessions, V7 logging and secrets,
V11 business logic.
"""
from __future__ import annotations

import json
import re

import pytest

from chalicelib.accounts.otp import normalize_recovery_code
from chalicelib.core import clock
from chalicelib.core.errors import DomainError
from chalicelib.core.identity import Principal
from chalicelib.facilities.seed import DEMO_INMATE_PIN, DEMO_RULES
from chalicelib import media
from chalicelib.messaging import messages
from chalicelib.payments import deposits
from chalicelib.payments.audit import audit
from chalicelib.payments.store import Deposit
from chalicelib.web.endpoint import ENDPOINTS
from tests.conftest import STRONG_PASSWORD, last_code, sent_emails, sent_sms
from tests.messaging_support import (DEMO_FACILITY_ID, MARCUS, stamp_balance,
                                     world)  # noqa: F401  (fixture)
from tests.mfa_helpers import (activity_types, answer, challenge, enrol,
                               kms_key, next_step, totp_code)  # noqa: F401  (fixture)
from tests.money_fixtures import card, deposit_body, post_deposit  # noqa: F401  (fixture)
from tests.password_helpers import (CHANGED_SUBJECT, RESET_SUBJECT, emails_with_subject,
                                    reset_link, reset_token)
from tests.security_support import (ROLES, Cast, all_items, build_cast, changes, fresh_key,
                                    leaks, snapshot)
from tests.test_money_concurrency import CLIENT, run_together, serialised_moto  # noqa: F401

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
    "PATCH /v1/account": rule(SIGNED_IN),
    "POST /v1/account/email": rule(SIGNED_IN),
    "POST /v1/account/email/verify": rule(SIGNED_IN),
    "POST /v1/account/mfa/recovery-codes": rule(SIGNED_IN),
    "POST /v1/admin/accounts/{account_id}/unlock": rule(("admin",)),
    "POST /v1/admin/accounts/{account_id}/disable": rule(("admin",)),
    "POST /v1/admin/accounts/{account_id}/enable": rule(("admin",)),
    "POST /v1/admin/accounts/{account_id}/mfa/reset": rule(("admin",)),
    "GET /v1/admin/accounts": rule(("admin",)),
    "POST /v1/admin/staff": rule(("admin",)),
    "POST /v1/auth/invitations/accept": rule(public=True),
    "GET /accept-invitation": rule(public=True),
    "POST /v1/admin/facilities/{facility_id}/platform-keys": rule(("admin",)),
    "GET /v1/admin/facilities/{facility_id}/platform-keys": rule(("admin",)),
    "DELETE /v1/admin/facilities/{facility_id}/platform-keys/{key_id}": rule(("admin",)),
    "POST /v1/auth/password/forgot": rule(public=True),
    "POST /v1/auth/password/reset": rule(public=True),
    "POST /v1/account/password": rule(SIGNED_IN),
    "POST /v1/account/phone": rule(SIGNED_IN),
    "POST /v1/account/phone/verify": rule(SIGNED_IN),
    "GET /reset-password": rule(public=True),
    "POST /v1/auth/unlock": rule(public=True),
    "GET /unlock": rule(public=True),
    "POST /v1/account/mfa/totp/setup": rule(SIGNED_IN),
    "POST /v1/account/mfa/totp/confirm": rule(SIGNED_IN),
    # Staff and admins must keep TOTP (403 mfa_required_for_role); an admin resets it.
    "DELETE /v1/account/mfa/totp": rule(FAMILIES),
    "GET /v1/account/sessions": rule(SIGNED_IN),
    "DELETE /v1/account/sessions/{session_id}":
        rule(("owner",), private=("other_family", "staff", "other_staff", "admin")),
    "GET /v1/account/activity": rule(SIGNED_IN),
    "POST /v1/account/preferences": rule(SIGNED_IN),
    "GET /v1/health": rule(public=True),
    "GET /v1/openapi.json": rule(public=True),
    "GET /docs": rule(public=True),
    "GET /docs/swagger-ui-bundle.js": rule(public=True),
    "GET /docs/swagger-ui.css": rule(public=True),
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
    # Stripe's signature is the only proof (a bearer token changes nothing): 400 for everyone.
    "POST /v1/webhooks/stripe": rule(public=True),
    "GET /v1/staff/flags": rule(("staff", "other_staff")),
    "POST /v1/staff/flags/{flag_id}/decision": rule(("staff",), private=("other_staff",)),
    "POST /v1/contacts": rule(FAMILIES),
    "GET /v1/contacts": rule(FAMILIES),
    "GET /v1/staff/contacts": rule(("staff", "other_staff")),
    "POST /v1/staff/contacts/{contact_id}/decision": rule(("staff",), private=("other_staff",)),
    "POST /v1/contacts/{contact_id}/messages": rule(("owner",), private=("other_family",)),
    "GET /v1/contacts/{contact_id}/messages": rule(("owner",), private=("other_family",)),
    "POST /v1/contacts/{contact_id}/attachments": rule(("owner",), private=("other_family",)),
    "GET /v1/contacts/{contact_id}/attachments/{attachment_id}":
        rule(("owner",), private=("other_family",)),
    "GET /v1/staff/messages": rule(("staff", "other_staff")),
    "GET /v1/staff/messages/{message_id}": rule(("staff",), private=("other_staff",)),
    # Each reviewer claims from their own facility's pool only.
    "POST /v1/staff/review-claims": rule(("staff", "other_staff")),
    "POST /v1/staff/messages/{message_id}/decision": rule(("staff",), private=("other_staff",)),
    "POST /v1/inmate/login": rule(public=True),
    "POST /v1/inmate/logout": rule(("inmate", "other_inmate")),
    "GET /v1/inmate/contacts": rule(("inmate", "other_inmate")),
    "GET /v1/inmate/messages": rule(("inmate", "other_inmate")),
    "GET /v1/inmate/messages/{message_id}": rule(("inmate",), private=("other_inmate",)),
    "POST /v1/inmate/messages": rule(("inmate",), private=("other_inmate",)),
    # Only a session opened with a one-time PIN may choose a new PIN.
    "POST /v1/inmate/pin": rule(),
    # Staff act in their own facility; admins name it with ?facility_id= (400 without).
    "POST /v1/staff/kiosks": rule(("staff", "other_staff", "admin")),
    "GET /v1/staff/kiosks": rule(("staff", "other_staff", "admin")),
    "DELETE /v1/staff/kiosks/{kiosk_id}": rule(("staff", "admin"), private=("other_staff",)),
    "POST /v1/staff/inmates/{inmate_id}/unlock":
        rule(("staff", "admin"), private=("other_staff",)),
    "POST /v1/staff/inmates/{inmate_id}/pin": rule(("staff", "admin"), private=("other_staff",)),
    "POST /v1/staff/inmates/{inmate_id}/sessions/revoke":
        rule(("staff", "admin"), private=("other_staff",)),
    # Operating a facility: admins only; its policies are public.
    "POST /v1/admin/facilities": rule(("admin",)),
    "PATCH /v1/admin/facilities/{facility_id}": rule(("admin",)),
    "PUT /v1/admin/facilities/{facility_id}/rules": rule(("admin",)),
    "PUT /v1/admin/facilities/{facility_id}/roster": rule(("admin",)),
    "GET /v1/admin/facilities/{facility_id}/roster/imports/{import_id}": rule(("admin",)),
    "GET /v1/facilities/{facility_id}/policies": rule(public=True),
    "GET /v1/staff/rejection-reasons": rule(("staff", "other_staff", "admin")),
    # Calls: families' numbers, balances and calls; staff decide numbers; the call platform
    # authenticates with its key, not a token (no key: 401 for everyone alike).
    "POST /v1/call-numbers": rule(FAMILIES),
    "POST /v1/call-numbers/{number_id}/verify": rule(FAMILIES),
    "GET /v1/call-numbers": rule(FAMILIES),
    "DELETE /v1/call-numbers/{number_id}": rule(FAMILIES),
    "GET /v1/staff/call-numbers": rule(("staff", "other_staff", "admin")),
    "POST /v1/staff/call-numbers/{number_id}/decision": rule(("staff", "other_staff", "admin")),
    "GET /v1/calling/{facility_id}": rule(FAMILIES),
    "POST /v1/calling/{facility_id}/refund": rule(FAMILIES),
    "GET /v1/calls": rule(FAMILIES),
    "GET /v1/statements/{month}": rule(FAMILIES),
    "GET /v1/staff/releases": rule(("staff", "other_staff", "admin")),
    "POST /v1/telephony/calls/authorize": rule(public=True),
    "POST /v1/telephony/calls/{call_id}/end": rule(public=True),
    # Support: a family's own tickets; staff of the ticket's facility and admins answer.
    "POST /v1/support/tickets": rule(FAMILIES),
    "GET /v1/support/tickets": rule(FAMILIES),
    "GET /v1/support/tickets/{ticket_id}": rule(("owner",), private=("other_family",)),
    "POST /v1/support/tickets/{ticket_id}/replies": rule(("owner",), private=("other_family",)),
    "GET /v1/staff/support/tickets": rule(("staff", "other_staff", "admin")),
    "GET /v1/staff/support/tickets/{ticket_id}": rule(("staff", "admin"), private=("other_staff",)),
    "POST /v1/staff/support/tickets/{ticket_id}/replies":
        rule(("staff", "admin"), private=("other_staff",)),
    "POST /v1/staff/support/tickets/{ticket_id}/close":
        rule(("staff", "admin"), private=("other_staff",)),
    # Education: staff keep their own catalog; inmates learn; a family sees what was shared.
    "PUT /v1/staff/courses/{course_id}": rule(("staff", "other_staff", "admin")),
    "GET /v1/inmate/courses": rule(("inmate", "other_inmate")),
    "GET /v1/inmate/courses/{course_id}": rule(("inmate", "other_inmate")),
    "POST /v1/inmate/courses/{course_id}/enroll": rule(("inmate", "other_inmate")),
    "POST /v1/inmate/courses/{course_id}/lessons/{n}/complete": rule(("inmate", "other_inmate")),
    "POST /v1/inmate/courses/{course_id}/share": rule(("inmate", "other_inmate")),
    "GET /v1/contacts/{contact_id}/courses": rule(("owner",), private=("other_family",)),
    # Visits: families only for an approved contact's inmate; a visit is its family's, its
    # inmate's and its facility's (admins name the facility).
    "GET /v1/facilities/{facility_id}/visit-slots": rule(("owner",)),
    "POST /v1/visits/holds": rule(("owner",)),
    "POST /v1/visits": rule(FAMILIES),
    "GET /v1/visits": rule(FAMILIES),
    "GET /v1/visits/{visit_id}": rule(("owner",), private=("other_family",)),
    "POST /v1/visits/{visit_id}/cancel": rule(("owner",), private=("other_family",)),
    "POST /v1/visits/{visit_id}/join": rule(("owner",), private=("other_family",)),
    "GET /v1/inmate/visits": rule(("inmate", "other_inmate")),
    "POST /v1/inmate/visits/{visit_id}/join": rule(("inmate",), private=("other_inmate",)),
    "GET /v1/staff/visits": rule(("staff", "other_staff", "admin")),
    "POST /v1/staff/visits/{visit_id}/decision": rule(("staff", "admin"), private=("other_staff",)),
    "POST /v1/staff/visits/{visit_id}/cancel": rule(("staff", "admin"), private=("other_staff",)),
    "POST /v1/staff/visits/{visit_id}/check-in": rule(("staff", "admin"), private=("other_staff",)),
    "POST /v1/staff/visits/{visit_id}/no-show": rule(("staff", "admin"), private=("other_staff",)),
    # The video service's signature is the only proof: 400 for everyone without it.
    "POST /v1/webhooks/video": rule(public=True),
    # Data rights: a family's own export and deletion.
    "GET /v1/account/export": rule(FAMILIES),
    "POST /v1/account/export": rule(FAMILIES),
    "GET /v1/account/exports/{export_id}": rule(("owner",), private=("other_family",)),
    "DELETE /v1/account": rule(FAMILIES),
}

# Calls whose success changes the caller's password or ends its session: they run last, in
# this order, so every other call still has a live token.
RUN_LAST = ("POST /v1/account/password", "POST /v1/auth/logout", "POST /v1/inmate/logout",
            "DELETE /v1/account")
CHANGED_PASSWORD = STRONG_PASSWORD + " and more"  # what POST /v1/account/password sets


def endpoint_key(spec) -> str:
    return f"{spec.method} {spec.path}"


def request_for(key: str, cast: Cast) -> tuple[str, dict | None, dict]:
    """A well-formed request to ``key`` reaching for the owner's objects: (path, body, headers).
    Bodies pass validation, so a refusal can only come from authorization."""
    ids = {"import_id": "imp_none", **cast.ids}
    if key == "POST /v1/staff/contacts/{contact_id}/decision":
        ids["contact_id"] = ids["pending_contact_id"]
    if key.startswith("GET /v1/inmate/messages/"):
        ids["message_id"] = ids["delivered_message_id"]
    if key.startswith("POST /v1/staff/inmates/"):
        ids["inmate_id"] = ids["kiosk_inmate_id"]  # not the inmate whose sessions the cast uses
    ids.setdefault("key_id", "plk_matrix")  # no such platform key: the admin gets a 404
    ids.setdefault("number_id", "num_matrix")  # no such call number: 404 for everyone
    ids.setdefault("call_id", "call_matrix")
    ids.setdefault("month", "2026-11")
    ids.setdefault("attachment_id", "att_matrix")  # none: the owner gets a 404
    ids.setdefault("visit_id", "vis_matrix")  # no such visit: 404 for every allowed role
    ids.setdefault("export_id", "exp_matrix")  # none: 404 for the owner too
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
        "POST /v1/auth/unlock": {"token": "x" * 43},
        "POST /v1/auth/invitations/accept": {"token": "x" * 43, "new_password": STRONG_PASSWORD},
        "POST /v1/admin/staff": {"email": "invited@example.com", "full_name": "In Vited",
                                 "facility_id": ids["facility_id"]},
        "POST /v1/account/password": {"current_password": STRONG_PASSWORD,
                                      "new_password": CHANGED_PASSWORD},
        "DELETE /v1/account": {"current_password": CHANGED_PASSWORD},
        "POST /v1/account/phone": {"phone": "+12025550143", "current_password": STRONG_PASSWORD},
        "POST /v1/account/phone/verify": {"code": "000000"},
        "POST /v1/account/mfa/totp/setup": {"current_password": STRONG_PASSWORD},
        "POST /v1/account/mfa/totp/confirm": {"code": "000000"},
        "POST /v1/account/mfa/recovery-codes": {"current_password": STRONG_PASSWORD},
        "PATCH /v1/account": {"language": "es"},
        "POST /v1/account/email": {"new_email": "moved@example.com",
                                   "current_password": STRONG_PASSWORD},
        "POST /v1/account/email/verify": {"code": "000000"},
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
        "POST /v1/contacts/{contact_id}/attachments": {"kind": "photo",
                                                       "content_type": "image/jpeg",
                                                       "size_bytes": 1000},
        "POST /v1/staff/messages/{message_id}/decision": {"decision": "approve"},
        "POST /v1/staff/review-claims": {"limit": 5},
        "POST /v1/inmate/login": {"facility_id": ids["facility_id"], "inmate_number": "A1002",
                                  "pin": DEMO_INMATE_PIN},
        "POST /v1/inmate/pin": {"new_pin": "24681357"},
        "POST /v1/staff/kiosks": {"label": "Tablet"},
        "POST /v1/inmate/messages": {"contact_id": ids["contact_id"], "body": "Thanks"},
        "POST /v1/admin/facilities": {"facility_id": "matrix-county", "name": "Matrix Jail",
                                      "state": "TX", "timezone": "America/Chicago",
                                      "kind": "jail", "average_daily_population": 80},
        "PATCH /v1/admin/facilities/{facility_id}": {"name": "Demo County Jail"},
        "PUT /v1/admin/facilities/{facility_id}/rules": DEMO_RULES,
        "POST /v1/call-numbers": {"phone": "+12025550147", "contact_id": ids["contact_id"],
                                  "current_password": STRONG_PASSWORD},
        "POST /v1/call-numbers/{number_id}/verify": {"code": "000000"},
        "POST /v1/staff/call-numbers/{number_id}/decision": {"decision": "approve"},
        "POST /v1/telephony/calls/authorize": {"inmate_number": "A1001",
                                               "dialed_number": "+12025550147"},
        "POST /v1/telephony/calls/{call_id}/end": {"connected_seconds": 60,
                                                   "end_cause": "hangup"},
        # A bad row: refused whole (422), so the matrix's inmates stay held.
        "PUT /v1/admin/facilities/{facility_id}/roster": {"inmates": [{"inmate_number": "?"}]},
        "POST /v1/support/tickets": {"category": "deposit", "subject": "Where is it?",
                                     "body": "Not there yet.", "related_id": ids["deposit_id"]},
        "POST /v1/support/tickets/{ticket_id}/replies": {"body": "Any news?"},
        "POST /v1/staff/support/tickets/{ticket_id}/replies": {"body": "It posted."},
        "PUT /v1/staff/courses/{course_id}": {"title": "Matrix", "provider": "County",
                                              "language": "en", "lessons": [{"title": "One"}]},
        "POST /v1/inmate/courses/{course_id}/share": {"contact_id": ids["contact_id"]},
        "POST /v1/visits/holds": {"slot_id": f"{ids['facility_id']}.video.20261205T1900Z",
                                  "inmate_id": ids["inmate_id"]},
        "POST /v1/visits": {"hold_id": "hld_matrix", "payment_method_token": "tok_visa"},
        "POST /v1/staff/visits/{visit_id}/decision": {"decision": "approve"},
        "POST /v1/staff/visits/{visit_id}/cancel": {"reason": "safety"},
        "POST /v1/webhooks/video": {"type": "attendee_joined", "external_meeting_id": "vis_x"},
    }
    queries = {
        "GET /v1/deposits/quote": f"?inmate_id={ids['inmate_id']}&account=trust&amount_cents=1500",
        "GET /reset-password": "?token=" + "x" * 43,
        "GET /v1/facilities/{facility_id}/inmates": "?q=A1",
        "GET /v1/admin/accounts": f"?email={cast.victim_email}",
        "GET /v1/facilities/{facility_id}/visit-slots":
            f"?inmate_id={ids['inmate_id']}&mode=video&from=2026-12-05&to=2026-12-06",
        "GET /v1/staff/visits": "?date=2026-12-05",
        "GET /v1/statements/{month}": f"?facility_id={ids['facility_id']}",
    }
    headers = fresh_key() if key in ("POST /v1/deposits", "POST /v1/stamps/purchase",
                                     "POST /v1/contacts/{contact_id}/messages",
                                     "POST /v1/inmate/messages", "POST /v1/visits") else {}
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
    if key in ("GET /reset-password", "GET /unlock", "GET /accept-invitation", "GET /docs",
               "GET /docs/swagger-ui-bundle.js", "GET /docs/swagger-ui.css"):  # not JSON
        response = cast.world.api.client.http.get(path)
        response.json = None
        return response
    token = cast.tokens[role]
    if key == "DELETE /v1/account" and role in FAMILIES:  # runs after logout: a new session
        token = cast.world.api.post("/v1/auth/login", {
            "email": cast.ids[f"{role}_email"], "password": CHANGED_PASSWORD}).json["access_token"]
    return cast.world.api.call(method, path, body, token=token, headers=headers)


@pytest.mark.slow
def test_v4_1_1_v4_1_3_v4_2_1_authorization_matrix_every_endpoint_every_role(world, card):
    """ASVS 4.1.1 (enforced server side), 4.1.3 (least privilege), 4.2.1 (object level, IDOR),
    4.1.5 (deny by default) and 3.x (401 without a token): every endpoint in ``ENDPOINTS`` ×
    every role × the owner's object ids gets exactly its declared outcome; no refused call
    changes anything in any table."""
    cast = build_cast(world)
    media.ensure_bucket()  # as in every stack: the owner's deletion erases its attachments
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


# =============================================================================================
# V2 Authentication
# =============================================================================================

def _sign_up(api, email: str, password: str):
    return api.post("/v1/auth/signup", {"email": email, "password": password,
                                        "full_name": "Pat Family"})


def _log_in(api, email: str, password: str):
    return api.post("/v1/auth/login", {"email": email, "password": password})


def test_v2_1_1_v2_1_2_v2_1_9_length_12_to_128_without_composition_rules(api, make_family):
    """ASVS 2.1.1 (at least 12 characters), 2.1.2 (64 allowed, 128 allowed, 129 refused),
    2.1.9 (no composition rules: an all-lowercase passphrase is fine)."""
    too_short = _sign_up(api, "short@example.com", "qz8vk3mw7rb")  # 11 characters
    assert too_short.status_code == 400
    make_family("twelve@example.com", "qz8vk3mw7rbx")  # 12 characters, signs in
    long_enough = ("glacier violin parsnip orbit " * 5)[:128]
    make_family("max@example.com", long_enough)
    make_family("lower@example.com", "glacier violin parsnip orbit")
    too_long = _sign_up(api, "toolong@example.com", long_enough + "x")
    assert too_long.status_code == 400
    assert api.post("/v1/auth/password/forgot", {"email": "max@example.com"}).status_code == 202


def test_v2_1_3_v2_1_4_no_truncation_and_unicode_nfkc(api, make_family):
    """ASVS 2.1.3 (no truncation: two 100-character passwords that differ only in the last
    character are different passwords) and 2.1.4 (any Unicode, normalised NFKC)."""
    base = ("velvet quarry lantern mosaic tundra " * 3)[:99]
    email, _, _ = make_family("long@example.com", base + "A")
    assert _log_in(api, email, base + "B").status_code == 401
    assert _log_in(api, email, base + "A").status_code == 200
    fullwidth = "ｖｅｌｖｅｔ ｑｕａｒｒｙ ｌａｎｔｅｒｎ ９１"  # NFKC: "velvet quarry lantern 91"
    email, _, _ = make_family("unicode@example.com", fullwidth)
    assert _log_in(api, email, "velvet quarry lantern 91").status_code == 200
    email, _, _ = make_family("greek@example.com", "καλημέρα κόσμε 2026 ☀")
    assert _log_in(api, email, "καλημέρα κόσμε 2026 ☀").status_code == 200


def test_v2_2_1_lockout_after_five_failures_for_known_and_unknown_emails(api, make_family):
    """ASVS 2.2.1 (anti-automation: 5 failures lock the email; the right password then gets
    429 with how long to wait); like Cognito's PreventUserExistenceErrors, an unknown email
    locks identically, so the lockout reveals nothing."""
    email, password, _ = make_family(login=False)
    answers = {}
    for who in (email, "nobody@example.com"):
        statuses = [_log_in(api, who, "wrong password entirely").status_code for _ in range(5)]
        assert statuses == [401] * 5
        locked = _log_in(api, who, password)
        answers[who] = locked
        assert locked.status_code == 429 and locked.json["code"] == "account_locked"
        assert int(locked.headers["Retry-After"]) == locked.json["retry_after_seconds"] > 0
    known, unknown = answers.values()
    assert _comparable(known.json) == _comparable(unknown.json)
    assert _close_waits(known.json, unknown.json)
    clock.advance(15 * 60 + 1)
    assert _log_in(api, email, password).status_code == 200


def _comparable(body: dict | None) -> dict | None:
    """A response body minus what may differ between two identical answers: request ids, and
    waiting times (compared apart by ``_close_waits``: a busy machine ticks a second between
    two requests)."""
    if body is None:
        return None
    return {key: ("<seconds>" if "seconds" in key else value)
            for key, value in body.items() if "request_id" not in key}


def _close_waits(first: dict, second: dict) -> bool:
    return all(abs(first[key] - second[key]) <= 2 for key in first if "seconds" in key)


def _same_answer(first, second) -> None:
    assert first.status_code == second.status_code
    assert _comparable(first.json) == _comparable(second.json)
    assert first.json is None or _close_waits(first.json, second.json)
    assert sorted(first.headers) == sorted(second.headers)
    assert first.headers.get("Content-Type") == second.headers.get("Content-Type")
    waits = [int(answer.headers.get("Retry-After", 0)) for answer in (first, second)]
    assert abs(waits[0] - waits[1]) <= 2


@pytest.fixture
def bcrypt_calls(monkeypatch) -> list[str]:
    """Every ``bcrypt.checkpw``/``bcrypt.hashpw`` call, by name (timing equivalence proxy)."""
    import bcrypt

    calls: list[str] = []
    for name in ("checkpw", "hashpw"):
        real = getattr(bcrypt, name)
        monkeypatch.setattr(bcrypt, name,
                            lambda *a, _n=name, _real=real: calls.append(_n) or _real(*a))
    return calls


def test_v2_2_v3_enumeration_equivalence_known_and_unknown_emails(api, make_family, bcrypt_calls):
    """ASVS 2.2 / 3 (and 2.5.x recovery): sign-in, sign-up, forgot-password and verify-email
    answer a known email exactly as an unknown one: same status, same body, same header names,
    and the same number of bcrypt operations (so the same time)."""
    known, password, _ = make_family(login=False)
    unverified = "unverified@example.com"
    assert _sign_up(api, unverified, STRONG_PASSWORD).status_code == 202
    cases = {
        "login": lambda email: _log_in(api, email, "not the right password"),
        "signup": lambda email: _sign_up(api, email, STRONG_PASSWORD),
        "forgot": lambda email: api.post("/v1/auth/password/forgot", {"email": email}),
        "verify-email": lambda email: api.post("/v1/auth/verify-email",
                                               {"email": email, "code": "000000"}),
    }
    for name, call in cases.items():
        pairs = [(known, f"ghost-{name}@example.com")]
        if name == "verify-email":
            pairs.append((unverified, f"ghost2-{name}@example.com"))
        for existing, ghost in pairs:
            bcrypt_calls.clear()
            first = call(existing)
            known_cost = list(bcrypt_calls)
            bcrypt_calls.clear()
            second = call(ghost)
            assert sorted(known_cost) == sorted(bcrypt_calls), name
            _same_answer(first, second)


def test_v2_5_3_v2_5_5_v2_5_6_v2_7_2_recovery_rules(api, make_family):
    """ASVS 2.5.3 (recovery never reveals a password), 2.5.6 (a secure recovery mechanism: a
    random token of ≥ 128 bits in a link built from configuration, one live request at a time),
    2.7.2 (valid 10 minutes), 2.5.5/2.2.3 (the owner is told of the change), and 3.3.3-style:
    a reset ends every session and refresh token."""
    email, password, tokens = make_family()
    assert api.post("/v1/auth/password/forgot", {"email": email}).status_code == 202
    first = reset_token(email)
    assert len(first) * 6 >= 128 and reset_link(email).startswith("https://app.kinlink.test/")
    assert api.post("/v1/auth/password/forgot", {"email": email}).status_code == 202
    second = reset_token(email)
    assert second != first
    replaced = api.post("/v1/auth/password/reset", {"token": first, "new_password": NEW_PASSWORD})
    assert replaced.status_code == 400, "a new request replaces the older one"
    clock.advance(10 * 60 + 1)
    expired = api.post("/v1/auth/password/reset", {"token": second, "new_password": NEW_PASSWORD})
    assert expired.status_code == 400 and expired.json["code"] == "invalid_or_expired_code"
    assert api.post("/v1/auth/password/forgot", {"email": email}).status_code == 202
    done = api.post("/v1/auth/password/reset", {"token": reset_token(email),
                                                "new_password": NEW_PASSWORD})
    assert done.status_code == 200
    assert api.get("/v1/account", token=tokens["access_token"]).status_code == 401
    assert api.post("/v1/auth/refresh",
                    {"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert emails_with_subject(email, CHANGED_SUBJECT)
    for message in sent_emails(email):
        assert password not in message.body and NEW_PASSWORD not in message.body
    assert _log_in(api, email, password).status_code == 401
    assert _log_in(api, email, NEW_PASSWORD).status_code == 200


NEW_PASSWORD = "glacier violin parsnip 2031"


def _sms_code(phone: str) -> str:
    return re.search(r"(?<!\d)(\d{6})(?!\d)", sent_sms(phone)[-1]).group(1)


def test_v2_7_3_v2_5_x_account_codes_and_reset_secrets_work_once(api, make_family):
    """ASVS 2.7.3 (out-of-band codes are single use) and 2.5.x: the email verification code,
    the phone verification code, the reset link token and the reset code each work once."""
    email = "once@example.com"
    assert _sign_up(api, email, STRONG_PASSWORD).status_code == 202
    code = last_code(email)
    verify = {"email": email, "code": code}
    assert api.post("/v1/auth/verify-email", verify).status_code == 200
    assert api.post("/v1/auth/verify-email", verify).status_code == 400

    token = _log_in(api, email, STRONG_PASSWORD).json["access_token"]
    assert api.post("/v1/account/phone", {"phone": PHONE,
                                          "current_password": STRONG_PASSWORD},
                    token=token).status_code == 202
    phone_code = {"code": _sms_code(PHONE)}
    assert api.post("/v1/account/phone/verify", phone_code, token=token).status_code == 200
    replay = api.post("/v1/account/phone/verify", phone_code, token=token)
    assert replay.status_code == 400 and replay.json["code"] == "invalid_or_expired_code"

    assert api.post("/v1/auth/password/forgot", {"email": email}).status_code == 202
    link = {"token": reset_token(email), "new_password": NEW_PASSWORD}
    assert api.post("/v1/auth/password/reset", link).status_code == 200
    assert api.post("/v1/auth/password/reset", {**link, "new_password": OTHER_PASSWORD}
                    ).status_code == 400
    assert api.post("/v1/auth/password/forgot", {"email": email}).status_code == 202
    by_code = {"email": email, "code": last_code(email), "new_password": OTHER_PASSWORD}
    assert api.post("/v1/auth/password/reset", by_code).status_code == 200
    assert api.post("/v1/auth/password/reset", {**by_code, "new_password": NEW_PASSWORD}
                    ).status_code == 400
    assert _log_in(api, email, OTHER_PASSWORD).status_code == 200


PHONE = "+12025550147"
OTHER_PASSWORD = "harbour meadow quartz 1984"


def _verified_phone(api, token: str, phone: str = PHONE) -> None:
    assert api.post("/v1/account/phone", {"phone": phone,
                                          "current_password": STRONG_PASSWORD},
                    token=token).status_code == 202
    assert api.post("/v1/account/phone/verify", {"code": _sms_code(phone)},
                    token=token).status_code == 200


def test_v2_8_4_v2_8_5_v2_7_3_second_factors_and_challenges_work_once(api, make_family, kms_key):
    """ASVS 2.8.4 (a TOTP step is accepted once), 2.8.5 (its reuse is logged), 2.6.1/2.7.3
    (recovery codes are single use), one-time MFA challenge ids,
    and 2.5.7 (a password reset does not bypass the second factor: remembered-device tokens
    stop working)."""
    email, password, tokens = make_family()
    _verified_phone(api, tokens["access_token"])
    secret, recovery_codes = enrol(api, tokens["access_token"])

    step = totp_code(secret)
    first = challenge(api, email, password)["challenge_id"]
    done = answer(api, first, "totp", step, remember_device=True)
    assert done.status_code == 200
    device_token = done.json["device_token"]
    reused = answer(api, first, "totp", step)
    assert (reused.status_code, reused.json["code"]) == (401, "invalid_challenge"), "id reused"
    replay = answer(api, challenge(api, email, password)["challenge_id"], "totp", step)
    assert replay.status_code == 401 and replay.json["code"] == "totp_code_reused"
    assert "totp_replay_refused" in activity_types(api, tokens["access_token"])

    used = answer(api, challenge(api, email, password)["challenge_id"], "recovery_code",
                  recovery_codes[0])
    assert used.status_code == 200
    again = answer(api, challenge(api, email, password)["challenge_id"], "recovery_code",
                   recovery_codes[0])
    assert again.status_code == 401 and again.json["code"] == "recovery_code_used"


    remembered = {"email": email, "password": password, "device_token": device_token}
    assert "access_token" in api.post("/v1/auth/login", remembered).json
    assert api.post("/v1/auth/password/forgot", {"email": email}).status_code == 202
    assert api.post("/v1/auth/password/reset", {"token": reset_token(email),
                                                "new_password": NEW_PASSWORD}).status_code == 200
    after = api.post("/v1/auth/login", {**remembered, "password": NEW_PASSWORD})
    assert after.json.get("mfa_required") is True, "the device token died with the reset"


# =============================================================================================
# V3 Session management
# =============================================================================================

def test_v3_2_1_v3_2_2_new_random_tokens_at_every_sign_in(api, make_family):
    """ASVS 3.2.1 (a new session token at authentication) and 3.2.2 (≥ 64 bits of entropy):
    each sign-in opens a new session with fresh tokens of 256 random bits (43 URL-safe
    characters after the session id), and a refresh rotates both."""
    email, password, first = make_family()
    second = _log_in(api, email, password).json
    refreshed = api.post("/v1/auth/refresh", {"refresh_token": second["refresh_token"]}).json
    tokens = [t[kind] for t in (first, second, refreshed) for kind in ("access_token",
                                                                      "refresh_token")]
    assert len(set(tokens)) == len(tokens)
    assert first["access_token"].split(".")[0] != second["access_token"].split(".")[0]
    for token in tokens:
        session_id, secret = token.split(".")
        assert re.fullmatch(r"[A-Za-z0-9_-]+", secret) and len(secret) * 6 >= 64
        assert len(secret) >= 43  # secrets.token_urlsafe(32): 256 bits


def test_v3_3_1_logout_and_v3_3_4_session_revoke_end_tokens_at_once(api, make_family):
    """ASVS 3.3.1 (logout invalidates the session: access and refresh tokens) and 3.3.4 (the
    user sees their live sessions and can end any of them)."""
    email, password, laptop = make_family()
    phone = _log_in(api, email, password).json
    listed = api.get("/v1/account/sessions", token=laptop["access_token"]).json["items"]
    assert len(listed) == 2 and sum(item["current"] for item in listed) == 1
    [other] = [item["session_id"] for item in listed if not item["current"]]
    assert api.delete(f"/v1/account/sessions/{other}",
                      token=laptop["access_token"]).status_code == 204
    assert api.get("/v1/account", token=phone["access_token"]).status_code == 401
    assert api.post("/v1/auth/refresh", {"refresh_token": phone["refresh_token"]}
                    ).status_code == 401
    assert api.post("/v1/auth/logout", token=laptop["access_token"]).status_code == 204
    assert api.get("/v1/account", token=laptop["access_token"]).status_code == 401
    assert api.post("/v1/auth/refresh", {"refresh_token": laptop["refresh_token"]}
                    ).status_code == 401


def test_v3_3_2_idle_30_minutes_and_absolute_12_hours(api, make_family):
    """ASVS 3.3.2 (L2: re-authenticate after 30 minutes idle, and after 12 hours whatever)."""
    email, password, idle = make_family()
    clock.advance(30 * 60 + 1)
    assert api.post("/v1/auth/refresh", {"refresh_token": idle["refresh_token"]}
                    ).status_code == 401
    busy = _log_in(api, email, password).json
    started = clock.now()
    while clock.now() - started < 12 * 3600 - 29 * 60:  # refresh every 29 minutes: never idle
        clock.advance(29 * 60)
        response = api.post("/v1/auth/refresh", {"refresh_token": busy["refresh_token"]})
        assert response.status_code == 200, "the session is alive before 12 hours"
        busy = response.json
    clock.advance(29 * 60)
    assert api.post("/v1/auth/refresh", {"refresh_token": busy["refresh_token"]}
                    ).status_code == 401
    assert api.get("/v1/account", token=busy["access_token"]).status_code == 401


def test_v3_3_3_v2_2_3_password_change_ends_other_sessions_and_notifies(api, make_family):
    """ASVS 3.3.3 (after a password change, every other session ends; the current one goes on)
    and 2.2.3 (the owner is told of the credential change), 2.1.5/2.1.6 (change needs the
    current password)."""
    email, password, current = make_family()
    other = _log_in(api, email, password).json
    wrong = api.post("/v1/account/password", {"current_password": "not my password at all",
                                              "new_password": NEW_PASSWORD},
                     token=current["access_token"])
    assert wrong.status_code == 403 and wrong.json["code"] == "reauthentication_required"
    changed = api.post("/v1/account/password", {"current_password": password,
                                                "new_password": NEW_PASSWORD},
                       token=current["access_token"])
    assert changed.status_code == 200
    assert api.get("/v1/account", token=current["access_token"]).status_code == 200
    assert api.get("/v1/account", token=other["access_token"]).status_code == 401
    assert api.post("/v1/auth/refresh", {"refresh_token": other["refresh_token"]}
                    ).status_code == 401
    assert emails_with_subject(email, CHANGED_SUBJECT)
    assert "password_changed" in activity_types(api, current["access_token"])


# =============================================================================================
# V7 Logging: security events
# =============================================================================================

def test_v7_1_3_v7_2_1_v7_2_2_security_events_reach_the_account_activity(api, make_family,
                                                                         kms_key):
    """ASVS 7.1.3 (security events logged), 7.2.1 (every authentication decision), 7.2.2
    (access-control failures and lockouts): failed and locked sign-ins, 2FA on/off, failed and
    replayed second factors, recovery codes, reset requests, resets and password changes are
    in the account's activity with IP and user agent."""
    email, password, tokens = make_family()
    token = tokens["access_token"]
    secret, recovery_codes = enrol(api, token)
    pending = challenge(api, email, password)["challenge_id"]
    assert answer(api, pending, "totp", "000000").status_code == 401
    step = totp_code(secret)
    assert answer(api, pending, "totp", step).status_code == 200
    assert answer(api, challenge(api, email, password)["challenge_id"], "totp",
                  step).status_code == 401
    assert answer(api, challenge(api, email, password)["challenge_id"], "recovery_code",
                  recovery_codes[0]).status_code == 200
    next_step()
    assert api.delete("/v1/account/mfa/totp", {"password": password, "code": totp_code(secret)},
                      token=token).status_code == 204
    assert api.post("/v1/account/password", {"current_password": password,
                                             "new_password": NEW_PASSWORD},
                    token=token).status_code == 200
    assert api.post("/v1/auth/password/forgot", {"email": email}).status_code == 202
    assert api.post("/v1/auth/password/reset", {"token": reset_token(email),
                                                "new_password": OTHER_PASSWORD}
                    ).status_code == 200
    for _ in range(5):
        assert _log_in(api, email, "certainly not it").status_code == 401
    clock.advance(15 * 60 + 1)
    token = _log_in(api, email, OTHER_PASSWORD).json["access_token"]
    events = api.get("/v1/account/activity?limit=100", token=token).json["items"]
    types = {event["type"] for event in events}
    assert {"login_succeeded", "login_failed", "account_locked", "mfa_enabled",
            "mfa_challenge_failed", "totp_replay_refused", "recovery_code_used", "mfa_disabled",
            "password_changed", "password_reset_requested", "password_reset"} <= types
    failed = next(event for event in events if event["type"] == "login_failed")
    assert failed["ip"] and failed["user_agent"] == "pytest-client/1.0"


def test_v2_4_1_v2_5_v7_1_1_v8_3_secrets_are_never_stored_or_logged_in_clear(world, card,
                                                                           kms_key, capsys):
    """ASVS 2.4.1 (passwords stored as salted hashes), 2.5.x/2.7.x (reset and one-time codes
    stored as hashes), 2.8.x (TOTP secrets encrypted, recovery codes hashed), 3.x (session
    tokens stored as digests), 7.1.1 (no credentials in logs), 8.3.x (card numbers never kept):
    a whole flow, then every item of every table and every log line is searched for each
    password, code, token, TOTP secret, recovery code and card number that went through it."""
    api = world.api
    found: dict[str, str] = {}
    family = world.family(stamps_at_demo=2)
    contact_id = world.contact(family)
    found["card number"] = "4242424242424242"
    refused = api.post("/v1/deposits", {"inmate_id": MARCUS, "account": "trust",
                                        "amount_cents": 2000,
                                        "payment_method_token": "4242 4242 4242 4242"},
                       token=family.token, headers=fresh_key())
    assert refused.status_code == 400 and refused.json["code"] == "card_number_not_allowed"
    assert "4242" not in json.dumps(refused.json)
    assert post_deposit(api, family.token).status_code == 201
    assert world.send(family, contact_id, "See you Sunday").status_code == 201

    email = "secretive@example.com"
    found["password"] = STRONG_PASSWORD
    assert _sign_up(api, email, STRONG_PASSWORD).status_code == 202
    found["verification code"] = last_code(email)
    assert api.post("/v1/auth/verify-email", {"email": email,
                                              "code": found["verification code"]}
                    ).status_code == 200
    signed_in = _log_in(api, email, STRONG_PASSWORD).json
    refreshed = api.post("/v1/auth/refresh", {"refresh_token": signed_in["refresh_token"]}).json
    for label, pair in (("login", signed_in), ("refresh", refreshed)):
        for kind in ("access_token", "refresh_token"):
            found[f"{label} {kind}"] = pair[kind].split(".")[1]
    assert api.post("/v1/auth/password/forgot", {"email": email}).status_code == 202
    found["reset token"], found["reset code (link email)"] = reset_token(email), last_code(email)
    found["password 2"] = NEW_PASSWORD
    page = api.client.http.get(f"/reset-password?token={found['reset token']}")
    assert page.status_code == 200, "the emailed link opens the reset page"
    assert api.post("/v1/auth/password/reset", {"token": found["reset token"],
                                                "new_password": NEW_PASSWORD}).status_code == 200
    assert api.post("/v1/auth/password/forgot", {"email": email}).status_code == 202
    found["reset code"], found["password 3"] = last_code(email), OTHER_PASSWORD
    assert api.post("/v1/auth/password/reset", {"email": email, "code": found["reset code"],
                                                "new_password": OTHER_PASSWORD}
                    ).status_code == 200
    token = _log_in(api, email, OTHER_PASSWORD).json["access_token"]
    found["access token 3"] = token.split(".")[1]
    assert api.post("/v1/account/phone", {"phone": PHONE,
                                          "current_password": OTHER_PASSWORD},
                    token=token).status_code == 202
    found["phone code"] = _sms_code(PHONE)
    assert api.post("/v1/account/phone/verify", {"code": found["phone code"]},
                    token=token).status_code == 200
    found["totp secret"], recovery_codes = enrol(api, token, OTHER_PASSWORD)
    found.update({f"recovery code {n}": code for n, code in enumerate(recovery_codes)})
    found["totp code"] = totp_code(found["totp secret"])
    mfa = answer(api, challenge(api, email, OTHER_PASSWORD)["challenge_id"], "totp",
                 found["totp code"], remember_device=True).json
    found["device token"] = mfa["device_token"]
    found["mfa access token"] = mfa["access_token"].split(".")[1]
    assert answer(api, challenge(api, email, OTHER_PASSWORD)["challenge_id"], "recovery_code",
                  recovery_codes[0]).status_code == 200

    tables = {f"table {name}": json.dumps(items) for name, items in all_items().items()}
    log_lines = capsys.readouterr().out.splitlines()
    assert len(log_lines) > 30, "the flow was logged"
    logs = {f"log line {n}": line for n, line in enumerate(log_lines)}
    normalised = {f"{label} (normalised)": normalize_recovery_code(value)
                  for label, value in found.items() if label.startswith("recovery code")}
    assert leaks({**found, **normalised}, {**tables, **logs}) == []
    assert leaks({"card number": "4242 4242 4242 4242"}, {**tables, **logs}) == []


# =============================================================================================
# V11 Business logic
# =============================================================================================

def test_v11_1_2_v11_1_4_idempotency_keys_replay_once_and_refuse_other_bodies(world, card):
    """ASVS 11.1.2/11.1.4 (business steps happen once; no replayed money movement): a repeated
    Idempotency-Key with the same body replays the first answer and moves nothing; with another
    body it is 409 ``idempotency_key_reused``.  For deposits, stamp purchases and messages."""
    api = world.api
    family = world.family(stamps_at_demo=1)
    contact_id = world.contact(family)
    requests = {
        "/v1/deposits": ({"inmate_id": MARCUS, "account": "trust", "amount_cents": 2000,
                          "payment_method_token": "tok_visa"}, {"amount_cents": 2500}),
        "/v1/stamps/purchase": ({"facility_id": DEMO_FACILITY_ID, "quantity": 5,
                                 "payment_method_token": "tok_visa"}, {"quantity": 6}),
        f"/v1/contacts/{contact_id}/messages": ({"body": "Hello"}, {"body": "Goodbye"}),
    }
    for path, (body, change) in requests.items():
        key = fresh_key()
        first = api.post(path, body, token=family.token, headers=key)
        assert first.status_code == 201, (path, first.json)
        charges, stamps_now = card.net_cents(), stamp_balance(family.account_id)
        replay = api.post(path, body, token=family.token, headers=key)
        assert (replay.status_code, replay.json) == (first.status_code, first.json), path
        other = api.post(path, {**body, **change}, token=family.token, headers=key)
        assert other.status_code == 409 and other.json["code"] == "idempotency_key_reused"
        assert (card.net_cents(), stamp_balance(family.account_id)) == (charges, stamps_now)
    assert len(api.get("/v1/deposits", token=family.token).json["items"]) == 1
    thread = api.get(f"/v1/contacts/{contact_id}/messages", token=family.token).json["items"]
    assert len(thread) == 1


def test_v11_1_6_concurrent_requests_with_one_key_or_one_stamp_take_effect_once(
        world, card, serialised_moto):
    """ASVS 11.1.6 (no check-then-act race): eight deposits racing with one Idempotency-Key
    make one deposit and one charge; two messages racing for the last stamp send one (the
    other gets ``insufficient_stamps``) and the balance never goes below zero."""
    family = world.family(stamps_at_demo=1)
    contact_id = world.contact(family)
    principal = Principal(family.account_id, "family", "session-under-test")
    results = run_together([
        lambda: deposits.deposit(principal, CLIENT, "one-key", deposit_body(amount_cents=1000))
        for _ in range(8)])
    assert len({result.text for result in results}) == 1
    assert len(list(Deposit.scan())) == 1 and card.net_cents() == 1000 + 30
    assert audit().ok

    sends = run_together([
        lambda n=n: messages.send_to_inmate(principal, contact_id, f"race {n}", None, CLIENT)
        for n in range(2)])
    sent = [result for result in sends if not isinstance(result, DomainError)]
    refused = [result for result in sends if isinstance(result, DomainError)]
    assert len(sent) == 1 and [error.code for error in refused] == ["insufficient_stamps"]
    assert stamp_balance(family.account_id) == 0


def test_v11_1_1_v11_1_3_business_limits_on_money_messages_and_code_sends(world, card):
    """ASVS 11.1.1/11.1.3 (business limits enforced server side): deposits within the
    facility's bounds ($1–$300) and the sender's daily cap ($1,000), messages of at most 6000
    characters, at most 3 reset emails per account per hour, limited phone-code sends."""
    api = world.api
    family = world.family(stamps_at_demo=2)
    for amount in (99, 30001):
        refused = post_deposit(api, family.token, deposit_body(amount_cents=amount))
        assert refused.status_code == 422 and refused.json["code"] == "limit_exceeded"
    statuses = [post_deposit(api, family.token, deposit_body(amount_cents=30000)).status_code
                for _ in range(4)]
    assert statuses == [201, 201, 201, 422], "the fourth $300 passes the $1,000 daily cap"
    assert card.net_cents() == 3 * (30000 + 620)

    contact_id = world.contact(family)
    assert world.send(family, contact_id, "x" * 6001).status_code == 400
    assert world.send(family, contact_id, "x" * 6000).status_code == 201
    assert stamp_balance(family.account_id) == 1

    before = len(emails_with_subject(family.email, RESET_SUBJECT))
    for _ in range(4):
        assert api.post("/v1/auth/password/forgot", {"email": family.email}).status_code == 202
    assert len(emails_with_subject(family.email, RESET_SUBJECT)) - before == 3

    phone_sends = [api.post("/v1/account/phone", {"phone": PHONE,
                                                  "current_password": STRONG_PASSWORD},
                            token=family.token)
                   for _ in range(6)]
    assert phone_sends[0].status_code == 202
    assert phone_sends[-1].status_code == 429
    assert phone_sends[-1].json["code"] == "too_many_codes_sent"
