"""The reset page in a real headless browser (issue 3): Debian's chromium driven by Playwright.

The app runs under chalice's local server and talks to moto's server, both on free ports in
this process, so the page, its fetch to the API and the emails are all real HTTP.  The module
points AWS at that server only while it runs and restores everything after, so other tests
keep their in-process moto.  Without /usr/bin/chromium or the playwright package the module is
skipped with the reason (.ci/run installs chromium, so CI always runs it).
"""
from __future__ import annotations

import json
import os
import socket
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"no browser: {CHROMIUM} is missing (apt-get install chromium)",
                allow_module_level=True)
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing (requirements-dev.txt)")

from chalice.config import Config  # noqa: E402
from chalice.local import create_local_server  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

from app import app  # noqa: E402
from chalicelib.config import get_settings, reset_settings  # noqa: E402
from chalicelib.core import aws, clock, notify  # noqa: E402
from chalicelib.core.store import create_tables, reset_connections  # noqa: E402
from tests.conftest import ROOT, STRONG_PASSWORD, last_code  # noqa: E402
from tests.password_helpers import reset_link  # noqa: E402

BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NEW_PASSWORD = "velvet thunder pocket 2031 maple"
EMAIL = "browser.reset@example.com"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def forget_aws_connections() -> None:
    aws.reset_clients()
    reset_connections()


@pytest.fixture(scope="module")
def live_app():
    saved_env = {name: os.environ.get(name) for name in ("AWS_ENDPOINT_URL", "PUBLIC_BASE_URL")}
    saved_class = app.__class__  # create_local_server swaps in a thread-safe subclass
    moto_port, app_port = free_port(), free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    base_url = f"http://127.0.0.1:{app_port}"
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{moto_port}"
    os.environ["PUBLIC_BASE_URL"] = base_url
    reset_settings()
    forget_aws_connections()
    notify.use_notifier(None)
    clock.reset()
    create_tables()
    aws.client("ses").verify_email_identity(EmailAddress=get_settings().email_sender)
    config = Config.create(chalice_stage="test", app_name="kinlink", project_dir=str(ROOT))
    server = create_local_server(app, config, "127.0.0.1", app_port)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        server.server.server_close()
        urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{moto_port}/moto-api/reset", method="POST"))
        moto.stop()
        app.__class__ = saved_class
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()
        forget_aws_connections()


def post_json(base_url: str, path: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(base_url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield chromium
        chromium.close()


def test_reset_page_shows_suggestions_then_success_and_the_new_password_works(live_app, browser):
    assert post_json(live_app, "/v1/auth/signup", {"email": EMAIL, "password": STRONG_PASSWORD,
                                                   "full_name": "Pat Browser"})[0] == 202
    assert post_json(live_app, "/v1/auth/verify-email",
                     {"email": EMAIL, "code": last_code(EMAIL)})[0] == 200
    assert post_json(live_app, "/v1/auth/password/forgot", {"email": EMAIL})[0] == 202
    link = reset_link(EMAIL)
    assert link.startswith(live_app + "/reset-password?token=")

    page = browser.new_page()
    page.set_default_timeout(15_000)
    console_errors: list[str] = []
    page.on("console", lambda message: message.type == "error"
            and console_errors.append(message.text))
    page.goto(link)
    assert "token" not in page.url, "the script takes the token out of the address bar"

    field = page.get_by_label("New password", exact=True)
    assert field.get_attribute("type") == "password"
    page.get_by_label("Show password").check()
    assert field.get_attribute("type") == "text"

    field.fill("password1234")
    page.get_by_role("button", name="Save new password").click()
    status = page.get_by_role("status")
    status.get_by_text("Please choose another one").wait_for()
    assert page.locator("#suggestions li").count() >= 1

    field.fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save new password").click()
    status.get_by_text("Your password has been changed").wait_for()
    assert not page.locator("#reset-form").is_visible()
    assert not [text for text in console_errors if "Content Security Policy" in text]
    page.close()

    status_code, tokens = post_json(live_app, "/v1/auth/login",
                                    {"email": EMAIL, "password": NEW_PASSWORD})
    assert status_code == 200 and tokens["access_token"]
    assert post_json(live_app, "/v1/auth/login",
                     {"email": EMAIL, "password": STRONG_PASSWORD})[0] == 401


def test_a_used_link_says_so_in_plain_words(live_app, browser):
    post_json(live_app, "/v1/auth/password/forgot", {"email": EMAIL})
    link = reset_link(EMAIL)
    token = link.split("token=", 1)[1]
    assert post_json(live_app, "/v1/auth/password/reset",
                     {"token": token, "new_password": "another sturdy phrase 77"})[0] == 200
    page = browser.new_page()
    page.set_default_timeout(15_000)
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("yet another sturdy phrase 88")
    page.get_by_role("button", name="Save new password").click()
    page.get_by_role("status").get_by_text("expired or was already used").wait_for()
    page.close()


def test_caps_lock_hint_appears(live_app, browser):
    page = browser.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_app + "/reset-password?token=acc_x.y")
    field = page.get_by_label("New password", exact=True)
    field.focus()
    hint = page.locator("#caps-lock-hint")
    assert hint.is_hidden()
    # Headless Chromium has no real Caps Lock key: send the key event a keyboard with Caps Lock
    # on would send (Chromium honours ``modifierCapsLock``), then one with it off.
    field.dispatch_event("keydown", {"key": "A", "modifierCapsLock": True})
    hint.wait_for(state="visible")
    field.dispatch_event("keyup", {"key": "a", "modifierCapsLock": False})
    hint.wait_for(state="hidden")
    page.close()
