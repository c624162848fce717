"""``GET /docs`` in a real headless browser (Debian's chromium driven by Playwright) against
the live local stack: Swagger UI renders every operation of the document, loads nothing from
another origin, and its CSP refuses nothing it needs.  Skipped without chromium or playwright
(.ci/run installs chromium)."""
from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"no browser: {CHROMIUM} is missing (apt-get install chromium)",
                allow_module_level=True)
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing (requirements-dev.txt)")

from chalicelib.web.endpoint import ENDPOINTS  # noqa: E402
from tests.live_stack import running_stack  # noqa: E402
from tests.test_reset_page_browser import BROWSER_ARGS  # noqa: E402

pytestmark = [pytest.mark.live, pytest.mark.slow]


def test_reference_page_renders_every_operation_from_this_origin_only():
    with running_stack() as base_url, playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(20_000)
            console: list[str] = []
            requested: list[str] = []
            page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
            page.on("request", lambda request: requested.append(request.url))
            failed: list[str] = []
            page.on("response", lambda response: response.status >= 400
                    and failed.append(f"{response.status} {response.url}"))
            page.goto(base_url + "/docs")
            page.get_by_text("Kinlink API").first.wait_for()
            page.locator(".opblock").first.wait_for()
            rendered = page.locator(".opblock").count()
            page.locator(".opblock").first.click()  # opens: description and example show
            page.locator(".opblock-description-wrapper").first.wait_for()
        finally:
            browser.close()
    assert failed == []
    assert rendered == len(ENDPOINTS)
    assert [url for url in requested if not url.startswith(base_url)] == []
    assert {base_url + "/docs/swagger-ui-bundle.js", base_url + "/docs/swagger-ui.css",
            base_url + "/v1/openapi.json"} <= set(requested)
    assert [line for line in console if "Content Security Policy" in line
            or line.startswith("error")] == []
