"""Regression tests of issue 9 (security review), findings 4, 9 and 12, and the fault sweep of
sign-in, MFA, refresh and flag decisions.  Each test fails on the main of before the fix."""
from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest

from chalicelib.accounts import activity, admin
from chalicelib.accounts.seed import create_staff_account
from chalicelib.accounts.store import Account, OneTimeCode, account_by_email
from chalicelib.core import clock
from chalicelib.core.errors import DomainError
from chalicelib.facilities.seed import DEMO_FACILITY_ID
from tests.conftest import STRONG_PASSWORD, last_code, sent_emails, sent_sms
from tests.mfa_helpers import (STAFF_TOTP_SECRET, answer, challenge, create_staff, enrol,
                               kms_key, next_step, staff_sign_in, totp_code)  # noqa: F401
from tests.password_helpers import reset_token
from tests.test_money_concurrency import CLIENT, run_together, serialised_moto  # noqa: F401

NEW_PASSWORD = "glacier violin parsnip 2031"
PHONE = "+12025550161"


# --- F4: the mailbox is not a second factor -------------------------------------------------

@pytest.mark.usefixtures("kms_key")
def test_f04_with_totp_on_only_totp_and_recovery_codes_are_offered_and_accepted(api, make_family):
    email, password, tokens = make_family()
    enrol(api, tokens["access_token"])
    account_by_email(email).update(actions=[Account.phone.set(PHONE),
                                            Account.phone_verified.set(True)])
    emails_before = len(sent_emails(email))
    pending = challenge(api, email, password)
    assert pending["methods"] == ["totp", "recovery_code"]
    for method in ("email", "sms"):
        sent = api.post("/v1/auth/mfa/send", {"challenge_id": pending["challenge_id"],
                                              "method": method})
        assert sent.status_code == 400 and sent.json["code"] == "mfa_method_unavailable", method
        guessed = answer(api, pending["challenge_id"], method, "123456")
        assert guessed.status_code == 400, method
        assert guessed.json["code"] == "mfa_method_unavailable"
    assert len(sent_emails(email)) == emails_before and sent_sms(PHONE) == []
    dead = api.post("/v1/auth/mfa/send", {"challenge_id": "mfa_unknown", "method": "email"})
    assert dead.status_code == 401 and dead.json["code"] == "invalid_challenge"


# --- F9: targeted denial of service -----------------------------------------------------------

def test_f09a_wrong_reset_codes_kill_the_code_but_not_the_emailed_link(api, make_family):
    email, _, _ = make_family(login=False)
    assert api.post("/v1/auth/password/forgot", {"email": email}).status_code == 202
    code, token = last_code(email), reset_token(email)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        burned = api.post("/v1/auth/password/reset", {"email": email, "code": wrong,
                                                      "new_password": NEW_PASSWORD})
        assert burned.status_code == 400 and burned.json["code"] == "invalid_or_expired_code"
    dead_code = api.post("/v1/auth/password/reset", {"email": email, "code": code,
                                                     "new_password": NEW_PASSWORD})
    assert dead_code.status_code == 400, "5 wrong codes still kill the code"
    by_link = api.post("/v1/auth/password/reset", {"token": token, "new_password": NEW_PASSWORD})
    assert by_link.status_code == 200, by_link.json
    again = api.post("/v1/auth/password/reset", {"token": token, "new_password": NEW_PASSWORD})
    assert again.status_code == 400, "the link still works once"
    assert api.post("/v1/auth/login", {"email": email, "password": NEW_PASSWORD}
                    ).status_code == 200


UNLOCK_SUBJECT = "Your Kinlink sign-in is paused"


def _lock(api, email: str) -> None:
    for _ in range(5):
        assert _sign_in(api, email, "certainly not the password").status_code == 401
    assert _sign_in(api, email).json["code"] == "account_locked"


def _unlock_token(email: str) -> str:
    message = [m for m in sent_emails(email) if m.subject == UNLOCK_SUBJECT][-1]
    link = re.search(r'https://app\.kinlink\.test/unlock#token=([^"\s<]+)', message.body)
    assert link, message.body
    return unquote(link.group(1))


def test_f09b_a_locked_owner_is_emailed_a_single_use_unlock_link(api, make_family):
    email, password, _ = make_family("locked.owner@example.com",
                                     login=False)
    _lock(api, email)
    token = _unlock_token(email)
    assert len(token.partition(".")[2]) * 6 >= 128, "at least 128 bits of randomness"
    record = OneTimeCode.get(f"account_unlock#{account_by_email(email).account_id}")
    assert token not in json.dumps(record.attribute_values, default=str), "stored as a digest"
    assert 3590 <= record.expires_at - clock.now() <= 3600, "valid one hour"

    unlocked = api.post("/v1/auth/unlock", {"token": token})
    assert unlocked.status_code == 200 and unlocked.json == {"status": "unlocked"}
    assert _sign_in(api, email, password).status_code == 200
    reused = api.post("/v1/auth/unlock", {"token": token})
    assert reused.status_code == 400 and reused.json["code"] == "invalid_or_expired_code"
    forged = api.post("/v1/auth/unlock", {"token": token[:-4] + "AAAA"})
    assert forged.status_code == 400 and forged.json["code"] == "invalid_or_expired_code"
    events = activity.newest_first(account_by_email(email).account_id, 20, None)["items"]
    assert "account_unlocked" in [event["type"] for event in events]

    clock.advance(24 * 3600)  # the next lock gets a new link, which expires after an hour
    _lock(api, email)
    late = _unlock_token(email)
    clock.advance(3601)
    expired = api.post("/v1/auth/unlock", {"token": late})
    assert expired.status_code == 400 and expired.json["code"] == "invalid_or_expired_code"


def test_f09b_unknown_addresses_lock_without_any_email(api):
    _lock(api, "nobody.here@example.com")
    assert sent_emails("nobody.here@example.com") == []


def test_f09b_the_unlock_page_reads_the_fragment_under_a_strict_policy(api):
    response = api.client.http.get("/unlock",
                                   headers={"User-Agent": "pytest-client/1.0"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = response.body.decode()
    assert "window.location.hash" in page and 'fetch("v1/auth/unlock"' in page
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page), "no external assets"


# --- F12: staff and admins use TOTP; admin actions on accounts -------------------------------

def _sign_in(api, email: str, password: str = STRONG_PASSWORD):
    return api.post("/v1/auth/login", {"email": email, "password": password})


@pytest.mark.usefixtures("kms_key")
@pytest.mark.parametrize("role", ["staff", "admin"])
def test_f12_staff_and_admins_without_totp_get_enrolment_only_tokens(api, role):
    email = f"new.{role}@demo-county.example"
    create_staff_account(email, "New Person", STRONG_PASSWORD, role=role,
                         facility_id=DEMO_FACILITY_ID if role == "staff" else None)
    signed_in = _sign_in(api, email)
    assert signed_in.status_code == 200 and signed_in.json["mfa_enrollment_required"] is True
    assert signed_in.json["expires_in"] <= 15 * 60
    token = signed_in.json["access_token"]
    for method, path in (("GET", "/v1/account"), ("GET", "/v1/account/sessions"),
                         ("GET", "/v1/staff/flags"), ("GET", "/v1/admin/accounts?email=a@b.c")):
        refused = api.call(method, path, token=token)
        assert refused.status_code == 403, (path, refused.json)
        assert refused.json["code"] == "mfa_enrollment_required", path
    refreshed = api.post("/v1/auth/refresh", {"refresh_token": signed_in.json["refresh_token"]})
    assert refreshed.status_code == 403 and refreshed.json["code"] == "mfa_enrollment_required"

    secret, _ = enrol(api, token)  # TOTP setup and confirm accept the enrolment token
    assert api.post("/v1/auth/logout", token=token).status_code == 204
    pending = challenge(api, email, STRONG_PASSWORD)
    done = answer(api, pending["challenge_id"], "totp", totp_code(secret))
    assert done.status_code == 200 and "mfa_enrollment_required" not in done.json
    assert api.get("/v1/account", token=done.json["access_token"]).status_code == 200


@pytest.mark.usefixtures("kms_key")
def test_f12_enrolment_tokens_live_fifteen_minutes(api):
    create_staff_account("late.staff@demo-county.example", "Late Staff", STRONG_PASSWORD,
                         facility_id=DEMO_FACILITY_ID)
    tokens = _sign_in(api, "late.staff@demo-county.example").json
    clock.advance(15 * 60 + 1)
    expired = api.post("/v1/account/mfa/totp/setup", token=tokens["access_token"])
    assert expired.status_code == 401


@pytest.mark.usefixtures("kms_key")
def test_f12_staff_cannot_remove_totp_and_an_admin_reset_ends_their_sessions(api):
    create_staff("staff@demo-county.example", facility_id=DEMO_FACILITY_ID)
    create_staff("admin@demo.example", role="admin")
    staff = staff_sign_in(api, "staff@demo-county.example")
    admin = staff_sign_in(api, "admin@demo.example")["access_token"]
    next_step()
    removal = api.delete("/v1/account/mfa/totp", {"password": STRONG_PASSWORD,
                                                  "code": totp_code(STAFF_TOTP_SECRET)},
                         token=staff["access_token"])
    assert removal.status_code == 403 and removal.json["code"] == "mfa_required_for_role"
    assert api.get("/v1/account", token=staff["access_token"]).json["mfa"]["totp"] is True

    found = api.get("/v1/admin/accounts?email=Staff@Demo-County.example", token=admin)
    assert found.status_code == 200
    [summary] = found.json["items"]
    assert summary["role"] == "staff" and summary["mfa"]["totp"] is True
    assert api.get("/v1/admin/accounts?email=nobody@example.com",
                   token=admin).json == {"items": []}
    reset = api.post(f"/v1/admin/accounts/{summary['account_id']}/mfa/reset", token=admin)
    assert reset.status_code == 204
    assert api.get("/v1/account", token=staff["access_token"]).status_code == 401
    assert api.post("/v1/auth/refresh", {"refresh_token": staff["refresh_token"]}
                    ).status_code == 401
    again = _sign_in(api, "staff@demo-county.example")
    assert again.status_code == 200 and again.json["mfa_enrollment_required"] is True
    events = activity.newest_first(summary["account_id"], 10, None)["items"]
    assert "mfa_reset" in [event["type"] for event in events]


@pytest.mark.usefixtures("kms_key")
def test_f12_disable_refuses_oneself_and_enable_lets_the_account_back_in(api, make_family):
    admin_account = create_staff("admin@demo.example", role="admin")
    admin = staff_sign_in(api, "admin@demo.example")["access_token"]
    self_disable = api.post(f"/v1/admin/accounts/{admin_account.account_id}/disable",
                            token=admin)
    assert self_disable.status_code == 409 and self_disable.json["code"] == "cannot_disable_self"
    assert api.get("/v1/account", token=admin).status_code == 200

    email, password, tokens = make_family()
    family_id = api.get("/v1/account", token=tokens["access_token"]).json["account_id"]
    assert api.post(f"/v1/admin/accounts/{family_id}/disable", token=admin).status_code == 204
    assert _sign_in(api, email, password).json["code"] == "account_disabled"
    assert api.post(f"/v1/admin/accounts/{family_id}/enable", token=admin).status_code == 204
    back = _sign_in(api, email, password)
    assert back.status_code == 200 and "access_token" in back.json
    assert api.get("/v1/account", token=tokens["access_token"]).status_code == 401, \
        "sessions ended by the disable stay ended"
    assert api.post("/v1/admin/accounts/acc_nope/enable", token=admin).status_code == 404
    again = back.json["access_token"]
    assert api.post(f"/v1/admin/accounts/{family_id}/enable", token=admin).status_code == 204
    assert api.get("/v1/account", token=again).status_code == 200, "enabling twice ends nothing"


@pytest.mark.usefixtures("kms_key")
def test_f12_the_last_enabled_admin_cannot_be_disabled_even_by_racing_admins(
        api, serialised_moto):
    first = create_staff("first.admin@demo.example", role="admin")
    second = create_staff("second.admin@demo.example", role="admin")
    # Each disables the other at the same moment: without the tally both would win.
    results = run_together([
        lambda: admin.disable(second.account_id, CLIENT, by=first.account_id),
        lambda: admin.disable(first.account_id, CLIENT, by=second.account_id)])
    refused = [result for result in results if isinstance(result, DomainError)]
    assert [error.code for error in refused] == ["last_admin"], results
    enabled = [a for a in (first, second) if not account_by_email(a.email).disabled]
    assert len(enabled) == 1
    [survivor] = enabled
    [gone] = [a for a in (first, second) if a is not survivor]
    with pytest.raises(admin.LastAdmin):
        admin.disable(survivor.account_id, CLIENT, by=gone.account_id)
    assert not account_by_email(survivor.email).disabled
    admin.enable(gone.account_id, CLIENT, by=survivor.account_id)
    admin.disable(survivor.account_id, CLIENT, by=gone.account_id)  # two enabled: allowed
    assert account_by_email(survivor.email).disabled
