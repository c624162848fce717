"""Staff invitations (api.md "Operating a facility", issue 12): an admin invites by email, the
person sets a password through the single-use emailed link (72 h), and the first sign-in asks
for TOTP enrolment.  The demo seed creates its staff and admin through the same service."""
from __future__ import annotations

import hashlib
import html
import re
from urllib.parse import unquote

import pyotp
import pytest

from chalicelib.accounts import invitations, seed, store
from chalicelib.config import reset_settings
from chalicelib.core import clock, notify
from chalicelib.facilities.seed import DEMO_FACILITY_ID, seed_demo_facility
from tests.conftest import STRONG_PASSWORD, sent_emails
from tests.mfa_helpers import (create_staff, kms_key, next_step, staff_sign_in,  # noqa: F401
                               totp_code)
from tests.security_support import all_items
from tests.test_password_reset import FailingNotifier

INVITEE = "new.officer@demo-county.example"
NEW_PASSWORD = "juniper lantern quarry 2031"
HOURS_72 = 72 * 60 * 60


@pytest.fixture
def admin(api, kms_key):
    seed_demo_facility()
    create_staff("admin@demo.example", "Ada Admin", role="admin")
    return staff_sign_in(api, "admin@demo.example")["access_token"]


def invite(api, admin_token: str, email: str = INVITEE, facility_id: str = DEMO_FACILITY_ID):
    return api.post("/v1/admin/staff", {"email": email, "full_name": "Nia Officer",
                                        "facility_id": facility_id}, token=admin_token)


def link_of(email: str = INVITEE, index: int = -1) -> str:
    """The link of an invitation email (moto keeps the HTML body)."""
    body = sent_emails(email)[index].body
    return html.unescape(re.search(r'href="([^"]+/accept-invitation#token=[^"]+)"', body).group(1))


def token_of(email: str = INVITEE, index: int = -1) -> str:
    return unquote(link_of(email, index).split("#token=", 1)[1])


def accept(api, token: str, password: str = NEW_PASSWORD):
    return api.post("/v1/auth/invitations/accept", {"token": token, "new_password": password})


def test_an_invitation_emails_a_link_whose_password_then_signs_in_after_totp_enrolment(api,
                                                                                        admin):
    invited = invite(api, admin)
    assert invited.status_code == 201, invited.json
    assert invited.json["email"] == INVITEE and invited.json["role"] == "staff"
    assert invited.json["facility_id"] == DEMO_FACILITY_ID and invited.json["invitation_sent"]
    [email] = sent_emails(INVITEE)
    assert "Demo County Jail" in email.subject
    link = link_of()
    assert link.startswith("https://app.kinlink.test/accept-invitation#token=")  # PUBLIC_BASE_URL
    # Before acceptance the account cannot sign in, even with the right nothing.
    refused = api.post("/v1/auth/login", {"email": INVITEE, "password": NEW_PASSWORD})
    assert refused.status_code == 401 and refused.json["code"] == "invalid_credentials"

    accepted = accept(api, token_of())
    assert accepted.status_code == 200, accepted.json
    assert accepted.json == {"status": "invitation_accepted", "email": INVITEE}

    first = api.post("/v1/auth/login", {"email": INVITEE, "password": NEW_PASSWORD})
    assert first.status_code == 200 and first.json["mfa_enrollment_required"] is True
    limited = first.json["access_token"]
    blocked = api.get("/v1/staff/kiosks", token=limited)
    assert blocked.status_code == 403 and blocked.json["code"] == "mfa_enrollment_required"
    setup = api.post("/v1/account/mfa/totp/setup", {"current_password": NEW_PASSWORD},
                     token=limited)
    secret = setup.json["secret"]
    assert api.post("/v1/account/mfa/totp/confirm", {"code": totp_code(secret)},
                    token=limited).status_code == 200
    next_step()
    challenge = api.post("/v1/auth/login", {"email": INVITEE, "password": NEW_PASSWORD}).json
    assert challenge["mfa_required"] is True
    done = api.post("/v1/auth/mfa", {"challenge_id": challenge["challenge_id"],
                                     "method": "totp", "code": totp_code(secret)})
    assert done.status_code == 200
    profile = api.get("/v1/account", token=done.json["access_token"]).json
    assert (profile["role"], profile["facility_id"], profile["email_verified"]) == \
        ("staff", DEMO_FACILITY_ID, True)
    assert api.get("/v1/staff/kiosks", token=done.json["access_token"]).status_code == 200


def test_the_link_works_once_and_only_its_digest_is_stored(api, admin):
    invite(api, admin)
    token = token_of()
    codes = all_items()[store.OneTimeCode.Meta.table_name]
    dump = repr(codes)
    assert token not in dump and token.split(".", 1)[1] not in dump
    assert hashlib.sha256(token.encode()).hexdigest() in dump
    assert accept(api, token).status_code == 200
    again = accept(api, token, "another fine passphrase 77")
    assert again.status_code == 400 and again.json["code"] == "invalid_token"
    for forged in ("x" * 43, token[:-2] + "AA", "nolinkid", token.split(".")[0] + ".x"):
        response = accept(api, forged)
        assert response.status_code == 400 and response.json["code"] == "invalid_token", forged
    # The password of the first acceptance is the one that stands.
    assert api.post("/v1/auth/login", {"email": INVITEE,
                                       "password": NEW_PASSWORD}).status_code == 200


def test_the_link_lives_72_hours(api, admin):
    invite(api, admin)
    clock.advance(HOURS_72 - 60)
    assert accept(api, token_of()).status_code == 200
    clock.reset()
    other = "second.officer@demo-county.example"
    invite(api, admin, other)
    clock.advance(HOURS_72)
    assert accept(api, token_of(other)).status_code == 400  # at 72 h exactly
    clock.advance(1)
    expired = accept(api, token_of(other))
    assert expired.status_code == 400 and expired.json["code"] == "invalid_token"


def test_an_address_that_has_an_account_is_409_email_taken(api, admin, make_family):
    family_email, _, _ = make_family()
    for taken in (family_email, "admin@demo.example", family_email.upper()):
        response = invite(api, admin, taken)
        assert response.status_code == 409 and response.json["code"] == "email_taken", taken
    invite(api, admin)
    assert accept(api, token_of()).status_code == 200
    assert invite(api, admin).json["code"] == "email_taken"  # accepted: a real account now


def test_inviting_a_pending_address_again_sends_a_new_link_that_replaces_the_old(api, admin):
    first = invite(api, admin)
    old = token_of()
    clock.advance(HOURS_72 + 1)  # expired: the admin (signed in again) invites again
    second = invite(api, staff_sign_in(api, "admin@demo.example")["access_token"])
    assert second.status_code == 201 and second.json["account_id"] == first.json["account_id"]
    assert accept(api, old).json["code"] == "invalid_token"
    assert accept(api, token_of()).status_code == 200


def test_unknown_facility_is_404_and_nothing_is_created(api, admin):
    response = invite(api, admin, facility_id="no-such-county")
    assert response.status_code == 404 and response.json["code"] == "not_found"
    assert store.account_by_email(INVITEE) is None and sent_emails(INVITEE) == []


def test_only_admins_invite(api, admin, make_family):
    create_staff("staff@demo-county.example", facility_id=DEMO_FACILITY_ID)
    next_step()
    staff = staff_sign_in(api, "staff@demo-county.example")["access_token"]
    _, _, family = make_family()
    for token, status in ((staff, 403), (family["access_token"], 403), (None, 401)):
        assert invite(api, token).status_code == status
    assert store.account_by_email(INVITEE) is None


def test_a_pending_invitation_cannot_be_taken_over_by_sign_up_or_reset(api, admin):
    invite(api, admin)
    signup = api.post("/v1/auth/signup", {"email": INVITEE, "password": STRONG_PASSWORD,
                                          "full_name": "Someone Else"})
    assert signup.status_code == 202
    assert "tried to create" in sent_emails(INVITEE)[-1].body  # no code: the address is taken
    assert api.post("/v1/auth/password/forgot", {"email": INVITEE}).status_code == 202
    assert len(sent_emails(INVITEE)) == 2  # the invitation and the notice: no reset link
    assert accept(api, token_of(index=0)).status_code == 200


def test_a_weak_password_keeps_the_link_and_a_disabled_account_refuses_it(api, admin):
    invite(api, admin)
    weak = accept(api, token_of(), "password1234")
    assert weak.status_code == 400 and weak.json["code"] == "weak_password"
    account_id = store.account_by_email(INVITEE).account_id
    assert api.post(f"/v1/admin/accounts/{account_id}/disable", token=admin).status_code == 204
    assert accept(api, token_of()).json["code"] == "invalid_token"
    assert api.post(f"/v1/admin/accounts/{account_id}/enable", token=admin).status_code == 204
    assert accept(api, token_of()).status_code == 200


def test_acceptance_is_rate_limited_per_source_like_reset(api, monkeypatch):
    monkeypatch.setenv("SOURCE_RESET_PER_WINDOW", "2")
    reset_settings()
    answers = [accept(api, "x" * 43) for _ in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 429]
    assert answers[2].json["code"] == "rate_limited" and answers[2].headers["Retry-After"]


def test_the_page_has_a_strict_csp_labels_errors_tied_to_the_field_and_a_language(api):
    page = api.client.http.get("/accept-invitation?utm_source=mail")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    text = page.body.decode()
    nonce = re.search(r"'nonce-([^']+)'", page.headers["Content-Security-Policy"]).group(1)
    assert text.count(f'nonce="{nonce}"') == 2  # style and script; nothing else runs
    assert '<html lang="en">' in text and '<label for="new-password">' in text
    assert 'aria-describedby="password-hint caps-lock-hint"' in text  # + the error when shown
    assert 'class="check"' in text and 'role="status"' in text
    assert "v1/auth/invitations/accept" in text and "$" not in text
    spanish = api.client.http.get("/accept-invitation", headers={"Accept-Language": "es-MX"})
    assert '<html lang="es">' in spanish.body.decode()
    assert "Set up your staff account" not in spanish.body.decode()


def test_the_demo_seed_creates_its_accounts_through_the_invitation_service(api, kms_key,
                                                                            monkeypatch):
    created = []
    original = invitations.create
    monkeypatch.setattr(invitations, "create",
                        lambda *args, **kw: created.append(args[0]) or original(*args, **kw))
    seed_demo_facility()
    seed.create_staff_account("staff@demo-county.example", "Demo Staff",
                              "Lantern-Harbor-Quill-2026", role="staff",
                              facility_id=DEMO_FACILITY_ID,
                              totp_secret="KINLINKDEMOSTAFFTOTPSECRET234567")
    seed.create_staff_account("admin@demo.example", "Demo Admin", "Cobalt-Meadow-Falcon-2026",
                              role="admin", totp_secret="KINLINKDEMOADMINTOTPSECRET765432")
    assert created == ["staff@demo-county.example", "admin@demo.example"]
    for email, password, secret in (
            ("staff@demo-county.example", "Lantern-Harbor-Quill-2026",
             "KINLINKDEMOSTAFFTOTPSECRET234567"),
            ("admin@demo.example", "Cobalt-Meadow-Falcon-2026",
             "KINLINKDEMOADMINTOTPSECRET765432")):
        challenge = api.post("/v1/auth/login", {"email": email, "password": password}).json
        assert challenge["mfa_required"] is True, challenge
        done = api.post("/v1/auth/mfa", {"challenge_id": challenge["challenge_id"],
                                         "method": "totp",
                                         "code": pyotp.TOTP(secret).at(clock.now())})
        assert done.status_code == 200, done.json
    # Seeding again leaves them as they are.
    seed.create_staff_account("admin@demo.example", "Renamed", "Cobalt-Meadow-Falcon-2026",
                              role="admin")
    assert store.account_by_email("admin@demo.example").full_name == "Demo Admin"
    source = (seed.__file__ and open(seed.__file__).read())
    assert ".save(" not in source and "create_account" not in source


def test_a_reset_link_token_cannot_accept_an_invitation(api, admin, make_family):
    email, _, _ = make_family()
    assert api.post("/v1/auth/password/forgot", {"email": email}).status_code == 202
    body = html.unescape(sent_emails(email)[-1].body)
    reset_token = unquote(re.search(r"/reset-password#token=([^\"&<\s]+)", body).group(1))
    refused = accept(api, reset_token)
    assert refused.status_code == 400 and refused.json["code"] == "invalid_token"
    assert api.post("/v1/auth/password/reset", {"token": reset_token,
                                                "new_password": NEW_PASSWORD}).status_code == 200


def test_an_invitation_that_could_not_be_queued_says_so_and_leaves_no_live_link(api, admin):
    notify.use_notifier(FailingNotifier())
    failed = invite(api, admin)
    assert failed.status_code == 201
    assert failed.json["invitation_sent"] is False and failed.json["invitation_expires_at"] is None
    assert all_items()[store.OneTimeCode.Meta.table_name] == []
    notify.use_notifier(None)
    again = invite(api, admin)  # the admin simply invites again
    assert again.status_code == 201 and again.json["invitation_sent"] is True
    assert accept(api, token_of()).status_code == 200
