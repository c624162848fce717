"""``GET /docs`` in a real headless browser (Debian's chromium driven by Playwright) against
the live local stack: Swagger UI renders every operation of the document, loads nothing from
another origin, and its CSP refuses nothing it needs.  Skipped without chromium or playwright
(.ci/run installs chromium)."""
from __future__ import annotations

import pytest

from tests.browser_stack import browser, live_app, skip_without_browser  # noqa: F401 (fixtures)

skip_without_browser()

from chalicelib.web.endpoint import ENDPOINTS  # noqa: E402

pytestmark = [pytest.mark.live, pytest.mark.slow]


def test_reference_page_renders_every_operation_from_this_origin_only(live_app, browser):  # noqa: F811
    base_url = live_app
    page = browser.new_page()
    try:
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
        page.close()
    assert failed == []
    assert rendered == len(ENDPOINTS)
    assert [url for url in requested if not url.startswith(base_url)] == []
    assert {base_url + "/docs/swagger-ui-bundle.js", base_url + "/docs/swagger-ui.css",
            base_url + "/v1/openapi.json"} <= set(requested)
    assert [line for line in console if "Content Security Policy" in line
            or line.startswith("error")] == []
