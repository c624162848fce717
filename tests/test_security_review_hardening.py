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
from urllib.parse import parse_qs, urlsplit

from tests.conftest import ROOT, STRONG_PASSWORD
from tests.live_stack import free_port
from tests.messaging_support import stamp_balance, world  # noqa: F401

NEW_PASSWORD = "velvet thunder pocket 2031 maple"


# --- f15: message sends require an Idempotency-Key -------------------------------------------

def test_f15_family_send_without_idempotency_key_is_400_naming_the_header(world):
    family = world.family(stamps_at_demo=2)
    contact_id = world.contact(family)
    response = world.api.post(f"/v1/contacts/{contact_id}/messages", {"body": "Hello"},
                              token=family.token)
    assert response.status_code == 400 and response.json["code"] == "invalid_request"
    assert response.json["errors"] == [{"field": "Idempotency-Key", "problem": "is required"}]
    assert stamp_balance(family.account_id) == 2
    thread = world.api.get(f"/v1/contacts/{contact_id}/messages", token=family.token).json
    assert thread["items"] == []


def test_f15_inmate_reply_without_idempotency_key_is_400_and_spends_nothing(world):
    from tests.messaging_support import set_rules

    set_rules(inmate_replies_free=False)
    family = world.family(stamps_at_demo=1)
    contact_id = world.contact(family)
    response = world.api.post("/v1/inmate/messages", {"contact_id": contact_id, "body": "Hi"},
                              token=world.inmate_token())
    assert response.status_code == 400 and response.json["code"] == "invalid_request"
    assert response.json["errors"][0]["field"] == "Idempotency-Key"
    assert stamp_balance(family.account_id) == 1


def test_f15_a_retried_send_spends_one_stamp(world):
    family = world.family(stamps_at_demo=3)
    contact_id = world.contact(family)
    key = {"Idempotency-Key": "retry-me-1"}
    first = world.send(family, contact_id, "Same letter", headers=key)
    again = world.send(family, contact_id, "Same letter", headers=key)
    assert first.status_code == again.status_code == 201 and first.json == again.json
    assert stamp_balance(family.account_id) == 2


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
    from tests.password_helpers import reset_token

    email, _, tokens = make_family()
    account_id = api.get("/v1/account", token=tokens["access_token"]).json["account_id"]
    _forgot(api, email)
    token = reset_token(email)
    link_id, _, secret = token.partition(".")
    assert account_id not in token and account_id.split("_")[-1] not in token
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


def test_f14_a_new_request_kills_the_earlier_link(api, make_family):
    from tests.password_helpers import reset_token

    email, _, _ = make_family(login=False)
    _forgot(api, email)
    first = reset_token(email)
    _forgot(api, email)
    assert api.post("/v1/auth/password/reset",
                    {"token": first, "new_password": NEW_PASSWORD}).status_code == 400
    assert api.post("/v1/auth/password/reset", {"token": reset_token(email),
                                                "new_password": NEW_PASSWORD}).status_code == 200


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
    assert fetch == "v1/auth/password/reset" and "body: JSON.stringify({ token: token" in script


def test_f14_the_local_servers_request_log_never_prints_tokens():
    """``make run``'s request log printed ``GET /reset-password?token=<account>.<secret>``."""
    with devserver() as (base, process):
        status, _ = http_get(f"{base}/reset-password?token=QUERYSECRET.abc&utm_source=x")
        assert status == 200
        raw_request(base, "/reset-password#token=FRAGMENTSECRET.abc")
        raw_request(base, "/reset-password?BARESECRET")
    output = process.stdout.read()
    assert "/reset-password?token=[redacted]&utm_source=[redacted]" in output
    for secret in ("QUERYSECRET", "FRAGMENTSECRET", "BARESECRET"):
        assert secret not in output


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


def test_f13_hsts_on_the_local_servers_own_404():
    with devserver() as (base, _):
        status, headers = http_get(f"{base}/no/such/route")
    assert status == 404 and headers["Strict-Transport-Security"] == HSTS


def _explode(*_args, **_kwargs):
    raise RuntimeError("unexpected")


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
