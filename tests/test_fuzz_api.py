"""Property-based fuzzing of every operation in the OpenAPI document (issue 6, item 2).

Schemathesis generates requests from ``GET /v1/openapi.json`` (valid ones and deliberately
invalid ones) and sends them as real HTTP to the app under chalice's local server over moto's
server (``tests.live_stack``).  Every response must be no server error, carry a status and a
content type the document lists for the operation, and match the documented response schema.

The stack holds a demo facility, a family account signed up and verified through the API
(with an approved contact, stamps, a message and a deposit, so lists have items to check), a
staff account, an admin account and an inmate kiosk identity (every example carries the demo
kiosk's key, as a kiosk's requests do; the others ignore it).  Each example is sent as the
operation's first role in ``x-roles``, with a session opened in-process (not through sign-in:
fuzzed calls fail password checks and lock the emails).  A fuzzed call may end its session
(logout, revocation, a password change), so after a 204 or a 401 the next example gets a new
one.

Fixed seed (``derandomize``) and a per-operation example budget keep the module under three
minutes on a two-core machine.  ``make test`` hands the operations to its workers one by one
(tests/xdist_schedule.py); each worker builds the stack once for the operations it gets.
"""
from __future__ import annotations

import json
import urllib.request
from collections import Counter, defaultdict

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
from chalicelib.facilities import store as facilities_store
from chalicelib.facilities.seed import DEMO_FACILITY_ID, DEMO_KIOSK_KEY, seed_demo_facility
from chalicelib.facilities import signin as kiosk
from chalicelib.web.openapi import document
from tests.conftest import STRONG_PASSWORD, last_code
from tests.live_stack import running_stack

EXAMPLES_PER_OPERATION = 10

# Spread over the xdist workers (tests/xdist_schedule.py); conftest makes the node ids distinct.
pytestmark = pytest.mark.slow
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# After these the session may be gone: the next example opens a new one.  (204: logout or a
# revoked session; 401: the token was ended by an earlier example or the fuzzer replaced it.)
ENDED_SESSION = {204, 401}
FUZZ_CLIENT = Client(ip="127.0.0.1", user_agent="schemathesis")
FAMILY_EMAIL = "fuzz.family@example.com"
INMATE_ID, OTHER_INMATE_ID = "inm_A1001", "inm_A1002"
CARD = "tok_visa"  # the local test processor's card that always pays

# TRACE and QUERY never reach the app: API Gateway answers them itself, and chalice's local
# server (a stand-in for API Gateway) has no handler for them, so they would test the stand-in.
METHODS_THE_APP_RECEIVES = ["get", "put", "post", "delete", "options", "patch"]
CONFIG = SchemathesisConfig.from_dict({
    "seed": 20261125,
    "phases": {"coverage": {"unexpected-methods": METHODS_THE_APP_RECEIVES}},
})
schema = schemathesis.openapi.from_dict(document(), config=CONFIG)
# Status codes answered per operation, for the closing check that the fuzzer got past sign-in.
ANSWERS: dict[str, Counter] = defaultdict(Counter)


class Stack:
    """The running app and the identities the fuzzer acts as."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.account_ids: dict[str, str] = {}
        self.tokens: dict[str, str] = {}
        self.known: dict[str | None, dict[str, str]] = {}

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
        """An access token for ``role``: the session of earlier examples while it works."""
        if role not in self.tokens:
            kiosk_id = None
            if role in (kiosk.INMATE_ROLE, kiosk.PIN_CHANGE_ROLE):
                holder = kiosk.KioskHolder.of(facilities_store.inmate(INMATE_ID, consistent=True),
                                              role)
                kiosk_id = DEMO_KIOSK_KEY.partition(".")[0]
            else:
                holder = accounts_store.account_by_id(self.account_ids[role])
            self.tokens[role] = open_session(holder, FUZZ_CLIENT, kiosk_id=kiosk_id).access_token
        return self.tokens[role]

    def forget_token(self, role: str) -> None:
        """The last example ended the session (logout, revocation, password change)."""
        self.tokens.pop(role, None)


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


def _build_world(stack: Stack, family: str) -> None:
    """Objects for the fuzzer to find: an approved contact with a delivered and a pending
    message, a pending contact, stamps, a deposit, a spare session and a bystander account.
    Their ids go to ``stack.known`` by role and name."""
    staff = stack.token_for("staff")
    _, approved = stack.call("POST", "/v1/contacts", {"inmate_id": INMATE_ID}, family)
    _, pending = stack.call("POST", "/v1/contacts", {"inmate_id": OTHER_INMATE_ID}, family)
    assert stack.call("POST", f"/v1/staff/contacts/{approved['contact_id']}/decision",
                      {"decision": "approve"}, staff)[0] == 200
    assert stack.call("POST", "/v1/stamps/purchase",
                      {"facility_id": DEMO_FACILITY_ID, "quantity": 50,
                       "payment_method_token": CARD}, family,
                      {"Idempotency-Key": "fuzz-stamps-1"})[0] == 201
    thread = f"/v1/contacts/{approved['contact_id']}/messages"
    _, delivered = stack.call("POST", thread, {"body": "Hello from the fuzz run"}, family,
                              {"Idempotency-Key": "fuzz-message-1"})
    assert stack.call("POST", f"/v1/staff/messages/{delivered['message_id']}/decision",
                      {"decision": "approve"}, staff)[0] == 200
    _, waiting = stack.call("POST", thread, {"body": "A second hello"}, family,
                            {"Idempotency-Key": "fuzz-message-2"})
    status, deposit = stack.call("POST", "/v1/deposits",
                                 {"inmate_id": INMATE_ID, "account": "trust",
                                  "amount_cents": 2500, "payment_method_token": CARD},
                                 family, {"Idempotency-Key": "fuzz-deposit-1"})
    assert status == 201, deposit
    family_account = accounts_store.account_by_id(stack.account_ids["family"])
    bystander = create_staff_account("fuzz.bystander@demo-county.example", "Fuzz Bystander",
                                     STRONG_PASSWORD, facility_id=DEMO_FACILITY_ID)
    everywhere = {"facility_id": DEMO_FACILITY_ID, "inmate_id": INMATE_ID}
    stack.known = {
        None: {**everywhere, "email": FAMILY_EMAIL, "inmate_number": "A1001"},
        "family": {**everywhere, "contact_id": approved["contact_id"],
                   "deposit_id": deposit["deposit_id"], "payment_method_token": CARD,
                   "session_id": open_session(family_account, FUZZ_CLIENT).session_id},
        "staff": {**everywhere, "contact_id": pending["contact_id"],
                  "message_id": waiting["message_id"], "deposit_id": deposit["deposit_id"]},
        "inmate": {"contact_id": approved["contact_id"], "message_id": delivered["message_id"]},
        "inmate_pin_change": {},
        "admin": {"account_id": bystander.account_id},
    }


def _aim_at_known_objects(case, known: dict[str, str]) -> None:
    """Put real ids (and a working card token, a registered email) where the case has fields
    of those names, so the example reaches past "not found" into the code behind it."""
    for values in (case.path_parameters, case.query, case.body):
        if isinstance(values, dict):
            for name in values.keys() & known.keys():
                values[name] = known[name]


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
        _build_world(live, family_token)
        yield live


@pytest.fixture
def fuzzed_past_authentication(request):
    """After an operation's examples: it got some, and not all of them bounced off 401 (the
    fuzzer reached the code behind sign-in)."""
    yield
    label = getattr(request.node, "operation_label", None)
    statuses = ANSWERS.get(label)
    assert statuses, f"{label}: no example was sent"
    assert set(statuses) - {401}, f"{label}: every example was refused with 401"


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, stack, fuzzed_past_authentication):
    roles = case.operation.definition.raw.get("x-roles")
    role = roles[0] if roles else None
    answers = ANSWERS[case.operation.label]
    if sum(answers.values()) % 2:  # every other example: the generated ids stay as they are
        _aim_at_known_objects(case, stack.known[role])
    headers = {"X-Kiosk-Key": DEMO_KIOSK_KEY}
    if role:
        headers["Authorization"] = f"Bearer {stack.token_for(role)}"
    response = case.call_and_validate(base_url=stack.base_url, headers=headers, checks=CHECKS)
    answers[response.status_code] += 1
    if role and response.status_code in ENDED_SESSION:
        stack.forget_token(role)


def test_every_operation_of_the_document_is_fuzzed(request):
    """Guards the run above: each operation of the document has its own test (which checks,
    as it ends, that its examples got past authentication: ``fuzzed_past_authentication``)."""
    labels = {getattr(item, "operation_label", None) for item in request.session.items
              if item.originalname == "test_every_operation_answers_as_documented"}
    if not labels:
        pytest.skip("test_every_operation_answers_as_documented is deselected")
    operations = {f"{method.upper()} {path}" for path, items in document()["paths"].items()
                  for method in items}
    assert labels == operations
