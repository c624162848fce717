"""The reset, unlock and invitation pages in each language, in headless Chromium, checked by axe-core
(WCAG 2.0/2.1/2.2 A and AA rules) with zero violations, in their first state and with a field
error shown; a screenshot of each (``SAVE_SCREENSHOTS=1`` writes them to docs/screenshots).

axe-core is vendored: tests/vendor/axe.min.js (version and checksum in tests/vendor/README.md).
Skipped, with the reason, without /usr/bin/chromium or the playwright package.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser_stack import browser, live_app, skip_without_browser  # noqa: F401 (fixtures)

skip_without_browser()


ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "tests" / "vendor" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
HEADINGS = {("reset-password", "en"): "Choose a new password",
            ("reset-password", "es"): "Elija una contraseña nueva",
            ("unlock", "en"): "Unlock your account", ("unlock", "es"): "Desbloquee su cuenta",
            ("accept-invitation", "en"): "Set up your staff account",
            ("accept-invitation", "es"): "Configure su cuenta de personal"}


def _open(browser, url: str, language: str):
    """A page as a browser set to ``language`` asks for it.  ``bypass_csp`` only so the test
    can inject axe; the page's own script still runs under its nonce."""
    context = browser.new_context(locale=language.split(",")[0], bypass_csp=True,
                                  extra_http_headers={"Accept-Language": language},
                                  viewport={"width": 800, "height": 720})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(url)
    return context, page


def _violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                           WCAG_AA)
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result["violations"]]


def _screenshot(page, name: str, tmp_path: Path) -> Path:
    folder = ROOT / "docs" / "screenshots" if os.environ.get("SAVE_SCREENSHOTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 5_000
    return target


def assert_a_short_password_is_tied_to_the_field(page, language: str) -> None:
    """The password form's own error: said in the status region, which the field points at
    (aria-describedby, aria-invalid), the focus back on the field, and axe still content."""
    field = page.locator("#new-password")
    field.fill("short")
    page.locator("#submit").click()
    expected = {"en": "Use at least 12 characters.", "es": "Use al menos 12 caracteres."}
    page.get_by_role("status").get_by_text(expected[language]).wait_for()
    assert field.get_attribute("aria-invalid") == "true"
    assert "status-message" in field.get_attribute("aria-describedby").split()
    assert page.evaluate("document.activeElement.id") == "new-password", "focus back on it"
    assert _violations(page) == []


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_reset_page_speaks_the_language_and_axe_finds_nothing(live_app, browser, language,
                                                                  tmp_path):
    context, page = _open(browser, live_app + "/reset-password#token=acc_x.y", language)
    assert page.get_attribute("html", "lang") == language
    assert page.get_by_role("heading", level=1).inner_text() == HEADINGS["reset-password",
                                                                         language]
    assert _violations(page) == []
    # Tab order follows reading order: the field, the show-password box, the button.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "new-password"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "show-password"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "submit"

    assert_a_short_password_is_tied_to_the_field(page, language)
    _screenshot(page, f"reset-password-{language}", tmp_path)
    context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_unlock_page_speaks_the_language_and_axe_finds_nothing(live_app, browser, language,
                                                                   tmp_path):
    context, page = _open(browser, live_app + "/unlock#token=acc_x.y", language)
    assert page.get_attribute("html", "lang") == language
    assert page.get_by_role("heading", level=1).inner_text() == HEADINGS["unlock", language]
    assert _violations(page) == []
    _screenshot(page, f"unlock-{language}", tmp_path)
    page.locator("#submit").click()  # a made-up token: the page says so, in its language
    expected = {"en": "This unlock link has expired", "es": "Este enlace de desbloqueo venció"}
    page.get_by_role("status").get_by_text(expected[language]).wait_for()
    assert _violations(page) == []
    context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_invitation_page_speaks_the_language_and_axe_finds_nothing(live_app, browser,
                                                                       language, tmp_path):
    context, page = _open(browser, live_app + "/accept-invitation#token=acc_x.y", language)
    assert page.get_attribute("html", "lang") == language
    assert page.get_by_role("heading", level=1).inner_text() == HEADINGS["accept-invitation",
                                                                         language]
    assert _violations(page) == []
    _screenshot(page, f"accept-invitation-{language}", tmp_path)
    context.close()


def test_a_page_without_its_token_says_so_in_spanish(live_app, browser):
    context, page = _open(browser, live_app + "/reset-password", "es-MX,es;q=0.9")
    page.get_by_role("status").get_by_text("está incompleto").wait_for()
    assert page.get_attribute("html", "lang") == "es"
    context.close()
