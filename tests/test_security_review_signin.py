"""Regression tests of issue 9 (security review), findings 4, 9 and 12, and the fault sweep of
sign-in, MFA, refresh and flag decisions.  Each test fails on the main of before the fix."""
from __future__ import annotations

import pytest

from chalicelib.accounts.store import Account, account_by_email
from tests.conftest import last_code, sent_emails, sent_sms
from tests.mfa_helpers import answer, challenge, enrol, kms_key  # noqa: F401  (fixture)
from tests.password_helpers import reset_token

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
