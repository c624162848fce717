"""The reset page in a real headless browser (issue 3): Debian's chromium driven by Playwright.

The app runs under chalice's local server and talks to moto's server, both on free ports in
this process (``tests.browser_stack``: one stack and one browser for every browser module), so
the page, its fetch to the API and the emails are all real HTTP.  Without /usr/bin/chromium or
the playwright package the module is skipped with the reason (.ci/run installs chromium).
"""
from __future__ import annotations

from tests.browser_stack import browser, live_app, skip_without_browser  # noqa: F401 (fixtures)

skip_without_browser()

from tests.conftest import STRONG_PASSWORD, last_code  # noqa: E402
from tests.live_stack import post_json  # noqa: E402
from tests.password_helpers import reset_link  # noqa: E402

NEW_PASSWORD = "velvet thunder pocket 2031 maple"
EMAIL = "browser.reset@example.com"


def test_reset_page_shows_suggestions_then_success_and_the_new_password_works(live_app, browser):
    assert post_json(live_app, "/v1/auth/signup", {"email": EMAIL, "password": STRONG_PASSWORD,
                                                   "full_name": "Pat Browser"})[0] == 202
    assert post_json(live_app, "/v1/auth/verify-email",
                     {"email": EMAIL, "code": last_code(EMAIL)})[0] == 200
    assert post_json(live_app, "/v1/auth/password/forgot", {"email": EMAIL})[0] == 202
    link = reset_link(EMAIL)
    assert link.startswith(live_app + "/reset-password#token=")

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
    assert not page.locator("#form").is_visible()
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
