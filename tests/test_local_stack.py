"""`make run` and `make outbox` end to end: the launcher in a subprocess on spare ports."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import devserver  # noqa: E402
import outbox  # noqa: E402


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(url: str, body: dict | None = None) -> tuple[int, dict, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, dict(reply.headers), json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def stack():
    api, emulator = spare_port(), spare_port()
    # The conftest loaded the ``test`` stage into this process; the launcher must see a shell
    # without it (and without AWS settings) to pick the ``dev`` stage and its own emulator.
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    stage_keys = {key for stage in config["stages"].values()
                  for key in stage.get("environment_variables", {})}
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("AWS_") and key not in stage_keys}
    environment.update(API_PORT=str(api), MOTO_PORT=str(emulator), BCRYPT_COST="4")
    process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "devserver.py")],
                               env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    base = f"http://127.0.0.1:{api}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            call(f"{base}/v1/health")
            break
        except OSError:
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.2)
    yield {"api": base, "aws": f"http://127.0.0.1:{emulator}", "process": process}
    if process.poll() is None:
        process.kill()
        process.wait()


def test_unknown_route_answers_a_404_problem(stack):
    status, headers, body = call(f"{stack['api']}/v1/no-such-thing")
    assert status == 404 and headers["Content-Type"] == "application/problem+json"
    assert body["code"] == "not_found" and body["status"] == 404


def test_sign_up_code_reaches_the_outbox(stack):
    status, _, _ = call(f"{stack['api']}/v1/auth/signup", {
        "email": "local.stack@example.com", "password": "Tidewater-Orchard-Piano-88",
        "full_name": "Local Stack"})
    assert status == 202
    printed = "\n\n".join(outbox.render(outbox.fetch_state(stack["aws"])))
    assert "local.stack@example.com" in printed


def test_seeded_admin_signs_in_with_its_demo_totp_secret(stack):
    import pyotp

    status, _, pending = call(f"{stack['api']}/v1/auth/login", {
        "email": "admin@demo.example", "password": "Cobalt-Meadow-Falcon-2026"})
    assert status == 200 and pending["mfa_required"] is True
    code = pyotp.TOTP(devserver.DEFAULT_ADMIN_TOTP_SECRET).now()
    status, _, body = call(f"{stack['api']}/v1/auth/mfa", {
        "challenge_id": pending["challenge_id"], "method": "totp", "code": code})
    assert status == 200 and body["token_type"] == "Bearer"


def test_sigterm_stops_everything_and_exits_zero(stack):
    process = stack["process"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    with pytest.raises(OSError):
        call(f"{stack['api']}/v1/health")


def test_outbox_prints_html_as_text_with_link_addresses():
    html = ('<html><head><style>p{}</style></head><body><p>Code <b>123456</b></p>'
            '<p><a href="http://127.0.0.1:8000/reset?t=a&amp;b=c">Reset\n your password</a></p>')
    assert outbox.html_to_text(html) == (
        "Code 123456\nReset your password <http://127.0.0.1:8000/reset?t=a&b=c>")
