"""The invitation page, built on the shared password form (pages/_password_form.html), behaves
like the reset page in a browser: a password error is tied to the field and gives it the focus
back, axe still finds nothing, and a used-up link says so in the page's language."""
from __future__ import annotations

import pytest

from tests.conftest import STRONG_PASSWORD
from tests.test_pages_a11y_browser import (  # noqa: F401 (fixtures)
    _open, assert_a_short_password_is_tied_to_the_field, browser, live_app)


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_invitation_page_ties_its_errors_to_the_field(live_app, browser, language):  # noqa: F811
    context, page = _open(browser, live_app + "/accept-invitation#token=inv_x.y", language)
    assert page.url.endswith("/accept-invitation"), "the token left the address bar"
    assert page.locator(".check #show-password").is_visible()
    assert_a_short_password_is_tied_to_the_field(page, language)

    field = page.locator("#new-password")
    field.fill(STRONG_PASSWORD)  # a made-up token: the server's answer, in the page's words
    page.locator("#submit").click()
    used = {"en": "This invitation link has expired", "es": "Este enlace de invitación"}
    page.get_by_role("status").get_by_text(used[language]).wait_for()
    assert not page.locator("#form").is_visible()
    assert field.get_attribute("aria-invalid") is None
    context.close()
