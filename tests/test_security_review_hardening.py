"""Regression tests for the "Low, also in scope" findings of issue 9 (the security review).

The issue numbers its high and medium findings 1 to 12; the three low ones follow as 13 to 15:

* f13: the deployable template (append-only tables, one role per scheduled job, log groups of
  this app only, ``SECRET_KEY`` from Secrets Manager, HSTS, API Gateway access logs);
* f14: the reset token (in the URL fragment, no account id inside, never in a server log, the
  page ignoring extra query parameters);
* f15: ``Idempotency-Key`` required on message sends.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from fnmatch import fnmatchcase
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import ROOT, STRONG_PASSWORD
from tests.live_stack import free_port
from tests.messaging_support import new_key, stamp_balance, world  # noqa: F401
from tests.money_fixtures import card  # noqa: F401

NEW_PASSWORD = "velvet thunder pocket 2031 maple"
OTHER_PASSWORD = "lighthouse marmalade 1987 sprint"


# --- f15: message sends require an Idempotency-Key -------------------------------------------

def test_f15_family_send_without_idempotency_key_is_400_naming_the_header(world):
    family = world.family(stamps_at_demo=2)
    contact_id = world.contact(family)
    response = world.api.post(f"/v1/contacts/{contact_id}/messages", {"body": "Hello"},
                              token=family.token)
    assert response.status_code == 400 and response.json["code"] == "idempotency_key_required"
    assert response.json["errors"] == [{"field": "Idempotency-Key", "problem": "is required"}]
    assert stamp_balance(family.account_id) == 2
    thread = world.api.get(f"/v1/contacts/{contact_id}/messages", token=family.token).json
    assert thread["items"] == []
    # With a key, a retried send replays the first answer and spends one stamp.
    key = {"Idempotency-Key": "retry-me-1"}
    first = world.send(family, contact_id, "Same letter", headers=key)
    again = world.send(family, contact_id, "Same letter", headers=key)
    assert first.status_code == again.status_code == 201 and first.json == again.json
    assert stamp_balance(family.account_id) == 1


def test_f15_inmate_reply_without_idempotency_key_is_400_and_spends_nothing(world):
    from tests.messaging_support import set_rules

    set_rules(inmate_replies_free=False)
    family = world.family(stamps_at_demo=1)
    contact_id = world.contact(family)
    response = world.api.post("/v1/inmate/messages", {"contact_id": contact_id, "body": "Hi"},
                              token=world.inmate_token())
    assert response.status_code == 400 and response.json["code"] == "idempotency_key_required"
    assert response.json["errors"][0]["field"] == "Idempotency-Key"
    assert stamp_balance(family.account_id) == 1


def test_f15_message_keys_follow_the_payments_syntax(world):
    """Printable ASCII without spaces, at most 255: what payments accept (before, a space or a
    255-character key with a trailing space was taken)."""
    family = world.family(stamps_at_demo=3)
    contact_id = world.contact(family)
    for bad in ("has space", "tab\there", "é-accent", "x" * 256):
        response = world.send(family, contact_id, headers={"Idempotency-Key": bad})
        assert response.status_code == 400, bad
        assert response.json["errors"][0]["field"] == "Idempotency-Key"
    assert world.send(family, contact_id, headers={"Idempotency-Key": "~!x" * 85}).status_code \
        == 201
    assert stamp_balance(family.account_id) == 2


# --- f14: the reset token in the fragment, naming no account, never logged -------------------

def _forgot(api, email: str) -> None:
    assert api.post("/v1/auth/password/forgot", {"email": email}).status_code == 202


def _link_token(email: str) -> str:
    """The token of the newest reset link, wherever the link carries it."""
    from tests.password_helpers import reset_link

    link = urlsplit(reset_link(email))
    return (parse_qs(link.fragment) or parse_qs(link.query))["token"][0]


def test_f14_the_emailed_link_carries_the_token_in_the_fragment_only(api, make_family):
    from tests.password_helpers import reset_link

    email, _, _ = make_family(login=False)
    _forgot(api, email)
    link = urlsplit(reset_link(email))
    assert (link.path, link.query) == ("/reset-password", "")
    assert parse_qs(link.fragment)["token"][0]


def test_f14_the_token_names_no_account_and_is_stored_only_as_a_digest(api, make_family):
    from chalicelib.config import get_settings
    from chalicelib.core import aws

    email, _, tokens = make_family()
    account_id = api.get("/v1/account", token=tokens["access_token"]).json["account_id"]
    _forgot(api, email)
    token = _link_token(email)
    link_id, _, secret = token.partition(".")
    assert account_id not in token and account_id.removeprefix("acc_") not in token
    assert len(link_id) * 6 >= 128 and len(secret) * 6 >= 256, "random, not derived"
    stored = json.dumps(aws.client("dynamodb").scan(
        TableName=get_settings().table_prefix + "one-time-codes")["Items"])
    assert secret not in stored and token not in stored
    # The link still works, once, and a forged link id (the account id itself) opens nothing.
    assert api.post("/v1/auth/password/reset", {"token": f"{account_id}.{secret}",
                                                "new_password": NEW_PASSWORD}).status_code == 400
    assert api.post("/v1/auth/password/reset",
                    {"token": token, "new_password": NEW_PASSWORD}).status_code == 200
    assert api.post("/v1/auth/password/reset",
                    {"token": token, "new_password": NEW_PASSWORD + " again"}).status_code == 400
    # A newer request still kills the earlier link (the pointer leads to the replaced code).
    _forgot(api, email)
    first = _link_token(email)
    _forgot(api, email)
    assert api.post("/v1/auth/password/reset",
                    {"token": first, "new_password": OTHER_PASSWORD}).status_code == 400
    assert api.post("/v1/auth/password/reset", {"token": _link_token(email),
                                                "new_password": OTHER_PASSWORD}).status_code == 200


def test_f14_the_reset_page_ignores_tracking_parameters_and_keeps_query_links(api):
    for query in ("?utm_source=newsletter&utm_medium=email&utm_campaign=reset",
                  "?token=old.link&utm_source=x", "?fbclid=abc", ""):
        response = api.client.http.get("/reset-password" + query)
        assert response.status_code == 200, (query, response.body)
        assert response.headers["Content-Type"].startswith("text/html")
    page = api.client.http.get("/reset-password").body.decode()
    assert "window.location.hash" in page and "window.location.search" in page


def test_f14_the_page_script_reads_the_fragment_and_sends_the_token_only_in_a_body(api):
    page = api.client.http.get("/reset-password").body.decode()
    script = page[page.index("<script"):]
    assert 'URLSearchParams(window.location.hash.slice(1)).get("token")' in script
    assert "history.replaceState" in script
    [fetch] = re.findall(r'fetch\("([^"]+)"', script)
    assert fetch == "v1/auth/password/reset"
    assert "body: JSON.stringify(Object.assign({ token: token }" in script  # the token: in the body


@pytest.mark.slow
@pytest.mark.live
def test_f14_in_a_browser_the_token_never_travels_in_a_url(make_family):
    """A real browser opens the emailed link with tracking parameters added: the page loads,
    the token leaves the address bar, no request URL carries it, and the reset works."""
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no browser: /usr/bin/chromium is missing (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api")
    from tests.conftest import last_code
    from tests.live_stack import post_json, running_stack
    from tests.password_helpers import reset_link

    email = "fragment.reset@example.com"
    with running_stack() as base, playwright.sync_playwright() as driver:
        assert post_json(base, "/v1/auth/signup", {"email": email, "password": STRONG_PASSWORD,
                                                   "full_name": "Pat Fragment"})[0] == 202
        assert post_json(base, "/v1/auth/verify-email",
                         {"email": email, "code": last_code(email)})[0] == 200
        assert post_json(base, "/v1/auth/password/forgot", {"email": email})[0] == 202
        link = reset_link(email)
        secret = _link_token(email).partition(".")[2]
        path, _, fragment = link.partition("#")
        tracked = f"{path}?utm_source=newsletter&utm_medium=email#{fragment}"
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.set_default_timeout(15_000)
        requests: list[tuple[str, str]] = []
        page.on("request", lambda request: requests.append((request.url,
                                                             request.post_data or "")))
        page.goto(tracked)
        assert secret not in page.url
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_role("button", name="Save new password").click()
        page.get_by_role("status").get_by_text("Your password has been changed").wait_for()
        browser.close()
        assert post_json(base, "/v1/auth/login",
                         {"email": email, "password": NEW_PASSWORD})[0] == 200
    assert [url for url, _ in requests if secret in url] == []
    [(_, body)] = [(url, body) for url, body in requests if url.endswith("/v1/auth/password/reset")]
    assert secret in body


@pytest.mark.slow
@pytest.mark.live
def test_f14_the_local_servers_request_log_never_prints_tokens():
    """``make run``'s request log printed ``GET /reset-password?token=<account>.<secret>``."""
    with devserver() as (base, process):
        http_get(f"{base}/reset-password?token=QUERYSECRET.abc&utm_source=x")
        raw_request(base, "/reset-password#token=FRAGMENTSECRET.abc")
        raw_request(base, "/reset-password?BARESECRET")
    output = process.stdout.read()
    for secret in ("QUERYSECRET", "FRAGMENTSECRET", "BARESECRET"):
        assert secret not in output
    assert "/reset-password?token=[redacted]&utm_source=[redacted]" in output


def test_f14_redact_url_keeps_names_and_drops_values_and_fragments():
    sys.path.insert(0, str(ROOT / "scripts"))
    from devserver import redact_url

    assert redact_url('"GET /a?token=x.y&limit=5#token=z HTTP/1.1" 200 -') == \
        '"GET /a?token=[redacted]&limit=[redacted] HTTP/1.1" 200 -'
    assert redact_url("GET /v1/health HTTP/1.1") == "GET /v1/health HTTP/1.1"


# --- f13: HSTS on every response -------------------------------------------------------------

HSTS = "max-age=63072000; includeSubDomains"


def test_f13_hsts_on_every_kind_of_response(api, make_family, monkeypatch):
    from chalicelib.accounts import service

    _, _, tokens = make_family()
    responses = {
        "200 json": api.get("/v1/health"),
        "200 html page": api.client.http.get("/reset-password"),
        "400 problem": api.call("POST", "/v1/auth/login", raw="not json"),
        "401 problem": api.get("/v1/account"),
        "404 problem": api.get("/v1/contacts/nope/messages", token=tokens["access_token"]),
        "405 chalice": api.call("PUT", "/v1/health"),
        "204 preflight": api.call("OPTIONS", "/v1/auth/login",
                                  headers={"Origin": "https://app.kinlink.test"}),
    }
    monkeypatch.setattr(service, "canonical_email", _explode)
    responses["500 problem"] = api.post("/v1/auth/signup", {
        "email": "boom@example.com", "password": STRONG_PASSWORD, "full_name": "Boom"})
    assert responses["500 problem"].status_code == 500
    for name, response in responses.items():
        assert response.headers.get("Strict-Transport-Security") == HSTS, name


@pytest.mark.slow
@pytest.mark.live
def test_f13_hsts_on_the_local_servers_own_404():
    with devserver() as (base, _):
        status, headers = http_get(f"{base}/no/such/route")
    assert status == 404 and headers["Strict-Transport-Security"] == HSTS


def _explode(*_args, **_kwargs):
    raise RuntimeError("unexpected")


# --- f13: SECRET_KEY from Secrets Manager, read once, never at import ---------------------------

def test_f13_secret_key_is_read_from_secrets_manager_once(api, make_family, monkeypatch):
    """With ``SECRET_KEY_ARN`` (as in AWS) codes are keyed with the secret's value, fetched with
    one ``GetSecretValue`` however many requests follow; the stage's ``SECRET_KEY`` is unused."""
    from chalicelib.config import reset_settings
    from chalicelib.core import aws, secrets

    value = "from-secrets-manager-" + "k" * 40
    arn = aws.client("secretsmanager").create_secret(Name="kinlink-test/secret-key",
                                                     SecretString=value)["ARN"]
    fetches = []
    aws.client("secretsmanager").meta.events.register(
        "before-call.secrets-manager.GetSecretValue", lambda **_: fetches.append(1))
    monkeypatch.setenv("SECRET_KEY_ARN", arn)
    reset_settings()
    email, _, tokens = make_family()  # sign-up, verification code, sign-in: several requests
    assert api.get("/v1/account", token=tokens["access_token"]).status_code == 200
    expected = hmac.new(value.encode(), b"purpose\x00123456", hashlib.sha256).hexdigest()
    assert secrets.keyed_digest("123456", "purpose") == expected
    assert len(fetches) == 1


@pytest.mark.slow
def test_f13_without_secret_key_importing_the_app_reads_nothing_and_settings_load(tmp_path):
    """In AWS the environment holds only the secret's ARN: the app imports (no AWS call: boto3
    is not even imported) and its settings load; the key is fetched on first use."""
    environment = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    environment.update(SECRET_KEY_ARN="arn:aws:secretsmanager:us-east-1:123456789012:secret:x",
                       AWS_ENDPOINT_URL="http://127.0.0.1:9")  # nothing listens there
    probe = ("import sys, app; from chalicelib.config import get_settings; "
             "settings = get_settings(); "
             "assert 'boto3' not in sys.modules, 'an AWS client was built at import'; "
             "assert settings.secret_key == '' and settings.secret_key_arn; print('ok')")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


# --- f13: the template -------------------------------------------------------------------------

def _roles(template: dict) -> dict[str, dict]:
    return {name: resource for name, resource in template["Resources"].items()
            if resource["Type"] == "AWS::IAM::Role"}


def _policy_of(template: dict, function: str) -> dict:
    role = template["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
    [policy] = template["Resources"][role]["Properties"]["Policies"]
    return policy["PolicyDocument"]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _matches(statement: dict, action: str, resource: str) -> bool:
    return (any(fnmatchcase(action, pattern) for pattern in _as_list(statement["Action"]))
            and any(fnmatchcase(resource, pattern)
                    for pattern in _as_list(statement.get("Resource", []))))


def _allowed(policy: dict, action: str, resource: str) -> bool:
    """IAM's answer for an unconditional request: an explicit deny wins, else any allow."""
    statements = policy["Statement"]
    if any(s["Effect"] == "Deny" and _matches(s, action, resource) for s in statements):
        return False
    return any(s["Effect"] == "Allow" and "Condition" not in s and _matches(s, action, resource)
               for s in statements)


def _table_arn(table: str, index: str | None = None) -> str:
    name = table.replace("kinlink-test-", PROD_PREFIX)
    return f"arn:aws:dynamodb:us-east-1:123456789012:table/{name}" + \
        (f"/index/{index}" if index else "")


def _table_of(model) -> str:
    return PROD_PREFIX + vars(model.Meta)["table_name"].name


PROD_PREFIX = "kinlink-prod-"
SCHEDULED = ("SendPasswordReminders",)


def test_f13_the_api_role_may_not_rewrite_or_delete_history(template):
    from chalicelib.core.store import APPEND_ONLY

    policy = _policy_of(template, "APIHandler")
    history = {_table_of(model) for model in APPEND_ONLY}
    assert history == {PROD_PREFIX + "ledger-entries", PROD_PREFIX + "activity",
                       PROD_PREFIX + "review-log"}
    [deny] = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert {arn.rpartition("/")[2] for arn in deny["Resource"]} == history
    for table in history:
        # TransactWriteItems is authorised item by item as PutItem/UpdateItem/DeleteItem/
        # ConditionCheckItem, so a transaction's Update or Delete is refused by the same deny.
        for action in ("UpdateItem", "DeleteItem", "BatchWriteItem", "PartiQLUpdate"):
            assert not _allowed(policy, f"dynamodb:{action}", _table_arn(table)), (table, action)
        assert _allowed(policy, "dynamodb:PutItem", _table_arn(table))
        assert _allowed(policy, "dynamodb:Query", _table_arn(table))
    assert _allowed(policy, "dynamodb:UpdateItem", _table_arn(PROD_PREFIX + "ledger-balances"))


def test_f13_each_scheduled_job_has_its_own_narrow_role(template):
    roles = {function: template["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
             for function in ("APIHandler", *SCHEDULED)}
    assert len(set(roles.values())) == 2
    [reminders] = (_policy_of(template, name) for name in SCHEDULED)
    for policy in (reminders,):
        actions = {action for s in policy["Statement"] for action in _as_list(s["Action"])}
        assert not any(a.startswith(("kms:", "secretsmanager:", "sns:")) for a in actions)
        assert not _allowed(policy, "dynamodb:PutItem", _table_arn(PROD_PREFIX + "accounts"))
        assert not _allowed(policy, "dynamodb:DeleteItem", _table_arn(PROD_PREFIX + "accounts"))
        assert not _allowed(policy, "dynamodb:DeleteItem",
                            _table_arn(PROD_PREFIX + "ledger-entries"))
    assert _allowed(reminders, "dynamodb:UpdateItem", _table_arn(PROD_PREFIX + "accounts"))
    assert not _allowed(reminders, "dynamodb:UpdateItem", _table_arn(PROD_PREFIX + "sessions"))


def test_f13_log_permissions_name_only_this_apps_log_groups(template):
    functions = {name: resource for name, resource in template["Resources"].items()
                 if resource["Type"] == "AWS::Serverless::Function"}
    groups = {resource["Properties"]["LogGroupName"]: (name, resource)
              for name, resource in template["Resources"].items()
              if resource["Type"] == "AWS::Logs::LogGroup"}
    for logical_id, function in functions.items():
        name = function["Properties"]["FunctionName"]
        assert name.startswith("kinlink-prod-")
        group_id, group = groups[f"/aws/lambda/{name}"]
        assert group_id in function["DependsOn"] and group["Properties"]["RetentionInDays"] > 0
        log_statements = [s for s in _policy_of(template, logical_id)["Statement"]
                          if any(a.startswith("logs:") for a in _as_list(s["Action"]))]
        assert log_statements
        for statement in log_statements:
            assert "logs:CreateLogGroup" not in _as_list(statement["Action"])
            for resource in _as_list(statement["Resource"]):
                assert resource.startswith("arn:aws:logs:*:*:log-group:/aws/lambda/kinlink-prod-")
        own = f"arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/{name}:log-stream:x"
        assert _allowed(_policy_of(template, logical_id), "logs:PutLogEvents", own)
    other = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/someone-else:log-stream:x"
    for logical_id in functions:
        assert not _allowed(_policy_of(template, logical_id), "logs:PutLogEvents", other)
    # A scheduled job writes only to its own group.
    api_group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/kinlink-prod-api:x"
    for job in SCHEDULED:
        assert not _allowed(_policy_of(template, job), "logs:PutLogEvents", api_group)


def test_f13_secret_key_lives_in_a_retained_secret_only_the_api_may_read(template):
    assert "AppSecretKey" not in template.get("Parameters", {})
    secret = template["Resources"]["AppSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["DeletionPolicy"] == secret["UpdateReplacePolicy"] == "Retain"
    assert "SecretString" not in secret["Properties"], "generated by AWS, in no template"
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    arn = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{secret['Properties']['Name']}" \
          "-AbCdEf"
    assert _allowed(_policy_of(template, "APIHandler"), "secretsmanager:GetSecretValue", arn)
    other = "arn:aws:secretsmanager:us-east-1:123456789012:secret:someone-else-AbCdEf"
    assert not _allowed(_policy_of(template, "APIHandler"), "secretsmanager:GetSecretValue", other)
    for job in SCHEDULED:
        assert not _allowed(_policy_of(template, job), "secretsmanager:GetSecretValue", arn)
    for function in ("APIHandler", *SCHEDULED):
        variables = template["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert "SECRET_KEY" not in variables
        assert variables["SECRET_KEY_ARN"] == {"Ref": "AppSecret"}


def test_f13_api_gateway_writes_json_access_logs_without_tokens(template):
    api = template["Resources"]["RestAPI"]
    setting = api["Properties"]["AccessLogSetting"]
    [group] = [name for name, resource in template["Resources"].items()
               if resource["Type"] == "AWS::Logs::LogGroup"
               and setting["DestinationArn"] == {"Fn::GetAtt": [name, "Arn"]}]
    assert template["Resources"][group]["Properties"]["RetentionInDays"] > 0
    line = json.loads(setting["Format"])
    assert {"request_id", "ip", "method", "route", "status"} <= set(line)
    assert line["route"] == "$context.resourcePath"  # the route template: no ids, no query
    for forbidden in ("$context.path", "$input", "querystring", "header", "authorizer"):
        assert forbidden not in setting["Format"]
    # Access logging needs the account's API Gateway CloudWatch role, set before the stage.
    assert "ApiGatewayAccount" in api["DependsOn"]
    account = template["Resources"]["ApiGatewayAccount"]["Properties"]
    assert account["CloudWatchRoleArn"] == {"Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]}


def test_f13_the_gateways_own_errors_carry_hsts(template):
    responses = template["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    for response in responses.values():
        assert response["ResponseParameters"]["Headers"]["Strict-Transport-Security"] == \
            f"'{HSTS}'"


# --- f13: the roles grant what the code uses, measured --------------------------------------

def test_f13_the_roles_grant_what_the_code_uses_and_nothing_rewrites_history(
        template, world, card, monkeypatch):
    """Every DynamoDB call of a broad run of the API and of each scheduled job (transactions
    item by item, as IAM authorises them) is allowed by that function's role in the template."""
    from chalicelib.accounts import reminders
    from chalicelib.core import clock
    from tests.money_fixtures import deposit_body
    from tests.password_helpers import reset_token

    calls = record_iam_requests(monkeypatch)
    api = world.api
    family = world.family(stamps_at_demo=1)
    contact_id = world.contact(family)
    sent = world.send(family, contact_id, "A letter").json["message_id"]
    assert world.decide(sent, "reject", "Other").status_code == 200
    assert world.reply(world.inmate_token(), contact_id).status_code == 201
    deposit = api.post("/v1/deposits", deposit_body(), token=family.token, headers=new_key())
    assert deposit.status_code == 201, deposit.json
    assert api.post(f"/v1/staff/deposits/{deposit.json['deposit_id']}/refund",
                    {"reason": "sent to the wrong person"}, token=world.staff).status_code == 200
    assert api.post("/v1/stamps/purchase", {"facility_id": "demo-county", "quantity": 2,
                                            "payment_method_token": "tok_visa"},
                    token=family.token, headers=new_key()).status_code == 201
    assert api.get("/v1/account/activity", token=family.token).status_code == 200
    assert api.post("/v1/account/preferences", {"password_reminder": True},
                    token=family.token).status_code == 200
    _forgot(api, family.email)
    assert api.post("/v1/auth/password/reset", {"token": reset_token(family.email),
                                                "new_password": NEW_PASSWORD}).status_code == 200
    api_calls, calls[:] = list(calls), []
    reminders.send_due_reminders()  # its first run: sets its watermark
    clock.advance(181 * 24 * 3600)
    assert reminders.send_due_reminders().sent == 1
    reminder_calls = list(calls)

    for function, made in (("APIHandler", api_calls), ("SendPasswordReminders", reminder_calls)):
        policy = _policy_of(template, function)
        refused = sorted({call for call in made if not _allowed(policy, *call)})
        assert made and refused == [], (function, refused)
    for action in ("dynamodb:UpdateItem", "dynamodb:DeleteItem"):
        assert not [resource for made, resource in api_calls
                    if made == action and resource.rpartition("/")[2] in
                    ("kinlink-prod-ledger-entries", "kinlink-prod-activity", "kinlink-prod-review-log")]


def record_iam_requests(monkeypatch) -> list[tuple[str, str]]:
    """From now on, the (action, resource) pairs IAM checks for every DynamoDB call made."""
    from pynamodb.connection.base import Connection

    calls: list[tuple[str, str]] = []
    real_dispatch = Connection.dispatch

    def recording(self, operation_name, operation_kwargs):
        calls.extend(_iam_requests(operation_name, operation_kwargs))
        return real_dispatch(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "dispatch", recording)
    return calls


def _iam_requests(operation: str, kwargs: dict) -> list[tuple[str, str]]:
    """The (action, resource) pairs IAM checks for one DynamoDB call."""
    if operation in ("TransactWriteItems", "TransactGetItems"):
        kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                 "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
        return [(f"dynamodb:{kinds[kind]}", _table_arn(body["TableName"]))
                for item in kwargs["TransactItems"] for kind, body in item.items()]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(f"dynamodb:{operation}", _table_arn(table)) for table in kwargs["RequestItems"]]
    return [(f"dynamodb:{operation}", _table_arn(kwargs["TableName"], kwargs.get("IndexName")))]


# --- helpers: the local stack (`make run`) in a subprocess -------------------------------------

@contextlib.contextmanager
def devserver():
    """``scripts/devserver.py`` on spare ports; yields its URL and process (stopped after, so
    its output can be read whole)."""
    api_port, moto_port = free_port(), free_port()
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    stage_keys = {key for stage in config["stages"].values()
                  for key in stage.get("environment_variables", {})}
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("AWS_") and key not in stage_keys}
    environment.update(API_PORT=str(api_port), MOTO_PORT=str(moto_port), BCRYPT_COST="4")
    process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "devserver.py")],
                               env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{api_port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                http_get(f"{base}/v1/health")
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.2)
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def http_get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as reply:  # noqa: S310 (local test server)
            return reply.status, dict(reply.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def raw_request(base: str, target: str) -> bytes:
    """A request line sent exactly as given (urllib would drop a fragment)."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    with socket.create_connection((host, port), timeout=30) as connection:
        connection.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
                           .encode())
        return connection.recv(65536)
