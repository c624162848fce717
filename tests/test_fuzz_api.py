"""Property-based fuzzing of every operation in the OpenAPI document (issue 6, item 2).

Schemathesis generates requests from ``GET /v1/openapi.json`` (valid ones and deliberately
invalid ones) and sends them as real HTTP to the app under chalice's local server over moto's
server (``tests.live_stack``).  Every response must be no server error, carry a status and a
content type the document lists for the operation, and match the documented response schema.

The stack holds a demo facility, a family account signed up and verified through the API
(with an approved contact, stamps, a message and a deposit, so lists have items to check), a
staff account, an admin account and an inmate kiosk identity.  Each example gets a fresh
session for the operation's first role in ``x-roles``, opened in-process: fuzzed calls may
log out, revoke sessions or lock the email by failing password checks, and a fresh session
per example keeps every later example authenticated whatever the one before did.

Fixed seed (``derandomize``) and a per-operation example budget keep the module under three
minutes on a two-core machine.
"""
from __future__ import annotations

import json
import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from chalicelib.accounts import store as accounts_store
from chalicelib.accounts.seed import create_staff_account
from chalicelib.accounts.sessions import open_session
from chalicelib.core.identity import Client
from chalicelib.facilities.seed import DEMO_FACILITY_ID, seed_demo_facility
from chalicelib.messaging.kiosk import KioskHolder
from chalicelib.web.openapi import document
from tests.conftest import STRONG_PASSWORD, last_code
from tests.live_stack import running_stack

EXAMPLES_PER_OPERATION = 5
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
FUZZ_CLIENT = Client(ip="127.0.0.1", user_agent="schemathesis")
FAMILY_EMAIL = "fuzz.family@example.com"
INMATE_ID = "inm_A1001"

# TRACE and QUERY never reach the app: API Gateway answers them itself, and chalice's local
# server (a stand-in for API Gateway) has no handler for them, so they would test the stand-in.
METHODS_THE_APP_RECEIVES = ["get", "put", "post", "delete", "options", "patch"]
CONFIG = SchemathesisConfig.from_dict({
    "seed": 20261125,
    "phases": {"coverage": {"unexpected-methods": METHODS_THE_APP_RECEIVES}},
})
schema = schemathesis.openapi.from_dict(document(), config=CONFIG)


class Stack:
    """The running app and the identities the fuzzer acts as."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.account_ids: dict[str, str] = {}

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None,
             headers: dict | None = None) -> tuple[int, dict]:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.base_url + path, method=method, headers=all_headers,
                                         data=json.dumps(body).encode() if body is not None
                                         else None)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def token_for(self, role: str) -> str:
        """A fresh access token of a new session for ``role``."""
        if role == "inmate":
            holder = KioskHolder(INMATE_ID, DEMO_FACILITY_ID)
        else:
            holder = accounts_store.account_by_id(self.account_ids[role])
        return open_session(holder, FUZZ_CLIENT).access_token


def _sign_up_family(stack: Stack) -> str:
    assert stack.call("POST", "/v1/auth/signup", {"email": FAMILY_EMAIL,
                                                  "password": STRONG_PASSWORD,
                                                  "full_name": "Fuzz Family"})[0] == 202
    assert stack.call("POST", "/v1/auth/verify-email",
                      {"email": FAMILY_EMAIL, "code": last_code(FAMILY_EMAIL)})[0] == 200
    status, tokens = stack.call("POST", "/v1/auth/login",
                                {"email": FAMILY_EMAIL, "password": STRONG_PASSWORD})
    assert status == 200, tokens
    return tokens["access_token"]


def _give_family_history(stack: Stack, family: str) -> None:
    """An approved contact, stamps, a message and a deposit: lists with items to check."""
    staff = stack.token_for("staff")
    status, contact = stack.call("POST", "/v1/contacts", {"inmate_id": INMATE_ID}, family)
    assert status == 201, contact
    assert stack.call("POST", f"/v1/staff/contacts/{contact['contact_id']}/decision",
                      {"decision": "approve"}, staff)[0] == 200
    assert stack.call("POST", "/v1/stamps/purchase",
                      {"facility_id": DEMO_FACILITY_ID, "quantity": 5,
                       "payment_method_token": "tok_visa"}, family,
                      {"Idempotency-Key": "fuzz-stamps-1"})[0] == 201
    assert stack.call("POST", f"/v1/contacts/{contact['contact_id']}/messages",
                      {"body": "Hello from the fuzz run"}, family)[0] == 201
    assert stack.call("POST", "/v1/deposits",
                      {"inmate_id": INMATE_ID, "account": "trust", "amount_cents": 2500,
                       "payment_method_token": "tok_visa"}, family,
                      {"Idempotency-Key": "fuzz-deposit-1"})[0] == 201


@pytest.fixture(scope="module")
def stack():
    with running_stack() as base_url:
        live = Stack(base_url)
        seed_demo_facility()
        for role, email in (("staff", "fuzz.staff@demo-county.example"),
                            ("admin", "fuzz.admin@demo.example")):
            live.account_ids[role] = create_staff_account(
                email, f"Fuzz {role}", STRONG_PASSWORD, role=role,
                facility_id=DEMO_FACILITY_ID if role == "staff" else None).account_id
        family_token = _sign_up_family(live)
        live.account_ids["family"] = accounts_store.account_by_email(FAMILY_EMAIL).account_id
        _give_family_history(live, family_token)
        yield live


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, stack):
    roles = case.operation.definition.raw.get("x-roles")
    headers = {"Authorization": f"Bearer {stack.token_for(roles[0])}"} if roles else {}
    case.call_and_validate(base_url=stack.base_url, headers=headers, checks=CHECKS)
