"""Every link an email or SMS carries opens something that exists (issue 12 item 5): a page or
route of this API under ``PUBLIC_BASE_URL``, or a deep link of the family app under
``PUBLIC_APP_URL``; and each one has its line in docs/api.md "Links we send"."""
from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app import app
from chalicelib.accounts import invite_staff
from chalicelib.config import get_settings
from chalicelib.core.identity import Client
from chalicelib.core.links import app_link
from chalicelib.core.notify import EMAILS, SMS
from tests.conftest import STRONG_PASSWORD, last_code, sent_emails, sent_sms
from tests.messaging_support import MARCUS, world  # noqa: F401  (fixture)
from tests.money_fixtures import card, deposit_body, post_deposit  # noqa: F401  (fixture)
from tests.visit_support import STAFF, book, bookable_slot, family, visit_world  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
URL = re.compile(r"https?://[^\s\"'<>]+")
LINK_PLACEHOLDER = re.compile(r"\burl\(\s*link\b")
# The templates whose emails the flow below makes: every template with a link is among them.
EXERCISED = {"message_delivered", "message_rejected", "reply_received", "deposit_receipt",
             "password_reset", "account_locked", "staff_invitation",
             "message_digest",  # exercised in tests/test_message_digest.py
             "calling_refund_refused",  # exercised in tests/test_calling_refund_retries.py
             "visit_booked", "visit_reminder", "visit_changed"}


def documented_patterns() -> list[str]:
    """The link shapes docs/api.md lists, e.g. ``<PUBLIC_APP_URL>#/deposits/<deposit_id>``."""
    guide = (ROOT / "docs" / "api.md").read_text()
    section = guide.split("## Links we send", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"`(<PUBLIC_(?:BASE|APP)_URL>[^`]*)`", section)


def _as_regex(pattern: str) -> re.Pattern:
    settings = get_settings()
    text = re.escape(pattern)
    text = text.replace(re.escape("<PUBLIC_BASE_URL>"), re.escape(settings.public_base_url))
    text = text.replace(re.escape("<PUBLIC_APP_URL>"), re.escape(settings.public_app_url))
    return re.compile(re.sub(r"<[a-z_]+>", r"[^/#?&]+", text) + "$")


def _api_get_routes() -> list[re.Pattern]:
    return [re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
            for path, methods in app.routes.items() if "GET" in methods]


def where_it_leads(url: str) -> str:
    settings = get_settings()
    if url.startswith(settings.public_app_url):
        return "app"
    if url.startswith(settings.public_base_url.rstrip("/") + "/"):
        path = urlsplit(url).path
        if any(route.match(path) for route in _api_get_routes()):
            return "api"
    return "nowhere"


def test_app_links_are_fragments_under_the_app_url():
    assert app_link("deposits", "dep_1") == "https://family.kinlink.test/#/deposits/dep_1"
    assert app_link("contacts", "con_a/b?c", "messages") == \
        "https://family.kinlink.test/#/contacts/con_a%2Fb%3Fc/messages"


def test_every_template_with_a_link_is_exercised_below():
    templates = [*EMAILS.glob("*.html"), *SMS.glob("*.txt")]
    linked = {file.stem for file in templates if LINK_PLACEHOLDER.search(file.read_text())}
    assert linked == EXERCISED
    for file in templates:  # no address written into a template by hand
        assert not URL.search(file.read_text()), file


@pytest.mark.slow
def test_every_link_sent_leads_to_a_route_or_the_app_and_is_documented(world, card):  # noqa: F811
    api = world.api
    family = world.family(stamps_at_demo=5)
    contact_id = world.contact(family)
    delivered = world.send(family, contact_id).json["message_id"]
    assert world.decide(delivered, "approve").status_code == 200
    rejected = world.send(family, contact_id).json["message_id"]
    assert world.decide(rejected, "reject", reason="Other").status_code == 200
    reply = world.reply(world.inmate_token(), contact_id).json["message_id"]
    assert world.decide(reply, "approve").status_code == 200
    deposit = post_deposit(api, family.token, deposit_body(MARCUS))
    assert deposit.status_code == 201, deposit.json
    assert api.post("/v1/account/phone", {"phone": "+12025550143",
                                          "current_password": STRONG_PASSWORD},
                    token=family.token).status_code == 202
    code = re.search(r"\b(\d{6})\b", sent_sms("+12025550143")[-1]).group(1)
    assert api.post("/v1/account/phone/verify", {"code": code},
                    token=family.token).status_code == 200
    for channel in ("email", "sms"):
        assert api.post("/v1/auth/password/forgot",
                        {"email": family.email, "channel": channel}).status_code == 202
    last_code(family.email)
    for _ in range(5):  # the failure that locks emails the unlock link
        api.post("/v1/auth/login", {"email": family.email, "password": "wrong " * 3})

    links = set()
    for email in sent_emails(family.email):
        links |= {html.unescape(url) for url in URL.findall(email.body)}
    sms = sent_sms("+12025550143")
    assert len(sms) == 2  # the phone code and the reset code
    assert [url for text in sms for url in URL.findall(text)] == []  # SMS carry codes only

    expected = {app_link("contacts", contact_id, "messages"),
                app_link("deposits", deposit.json["deposit_id"])}
    assert expected <= links
    kinds = {where_it_leads(link) for link in links}
    assert {link: where_it_leads(link) for link in links if where_it_leads(link) == "nowhere"} == {}
    assert kinds == {"api", "app"}
    patterns = [_as_regex(pattern) for pattern in documented_patterns()]
    assert len(patterns) >= 4
    assert [link for link in links if not any(p.match(link) for p in patterns)] == []
    for page in ("/reset-password#token=", "/unlock#token="):
        assert any(link.startswith(get_settings().public_base_url + page) for link in links)


def test_the_staff_invitation_link_opens_the_invitation_page_and_is_documented(api):
    invite_staff("new.officer@demo-county.example", "Dana Officer", "demo-county",
                 "Demo County Jail", Client("203.0.113.9", "pytest"), by="acc_admin")
    [email] = sent_emails("new.officer@demo-county.example")
    [link] = {html.unescape(url) for url in URL.findall(email.body)}
    assert link.startswith(get_settings().public_base_url + "/accept-invitation#token=")
    assert where_it_leads(link) == "api"
    assert any(_as_regex(pattern).match(link) for pattern in documented_patterns())


def test_visit_emails_link_to_the_visit_in_the_app_and_are_documented(visit_world):  # noqa: F811
    from chalicelib.core import clock
    from chalicelib.facilities.seed import DEMO_FACILITY_ID
    from chalicelib.visits import lifecycle
    from chalicelib.visits.store import Visit

    principal = family()
    visit_id = book(principal, bookable_slot("video", days_ahead=3))["visit_id"]
    clock.advance(int(Visit.get(visit_id).starts) - clock.now() - 23 * 3600)
    assert lifecycle.run_due()["reminded"] == 1
    lifecycle.cancel_by_staff(STAFF, DEMO_FACILITY_ID, visit_id, "safety")
    emails = sent_emails("visit.family.1@example.com")
    assert len(emails) == 3  # booked, the reminder, cancelled by the facility
    links = {html.unescape(url) for email in emails for url in URL.findall(email.body)}
    assert links == {app_link("visits", visit_id)} and where_it_leads(app_link("visits", "v")) == \
        "app"
    assert any(_as_regex(pattern).match(app_link("visits", visit_id))
               for pattern in documented_patterns())
