"""The page a reset link opens (issue 3, api.md "GET /reset-password"), checked as served.
Its behaviour in a real browser is in test_reset_page_browser.py."""
from __future__ import annotations

import re


def get_page(api, path):
    return api.client.http.get(path, headers={"User-Agent": "pytest-client/1.0"})


def test_reset_page_is_html_with_a_strict_policy(api):
    response = get_page(api, "/reset-password?token=acc_abc.secretpart")
    assert response.status_code == 200
    headers = response.headers
    assert headers["Content-Type"].startswith("text/html")
    policy = headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([A-Za-z0-9_\-]+)'", policy).group(1)
    for directive in ("default-src 'none'", f"script-src 'nonce-{nonce}'",
                      f"style-src 'nonce-{nonce}'", "connect-src 'self'", "form-action 'self'",
                      "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in policy
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"
    page = response.body.decode()
    assert page.count(f'nonce="{nonce}"') == 2, "the inline style and script, nothing else"
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page), "no external assets"
    assert '<label for="new-password">' in page and 'id="new-password"' in page
    assert 'aria-live="polite"' in page


def test_reset_page_never_writes_the_token_into_the_page(api):
    token = 'acc_x."><script>alert(1)</script>'
    response = get_page(api, "/reset-password?token=" + token.replace(" ", "%20"))
    assert response.status_code == 200
    page = response.body.decode()
    assert "acc_x" not in page and "alert(1)" not in page


def test_each_response_gets_its_own_nonce(api):
    first = get_page(api, "/reset-password?token=t")
    second = get_page(api, "/reset-password?token=t")
    assert first.headers["Content-Security-Policy"] != second.headers["Content-Security-Policy"]


def test_reset_page_without_a_token_still_renders(api):
    assert get_page(api, "/reset-password").status_code == 200
