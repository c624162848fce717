"""Sign-up, verification, sign-in, tokens and admin actions (issue 2, api.md "Accounts")."""
from __future__ import annotations

from chalicelib.core import clock
from tests.conftest import STRONG_PASSWORD, last_code, sent_emails
from tests.mfa_helpers import create_staff, staff_sign_in


def test_health(api):
    response = api.get("/v1/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_signup_verify_login_and_profile(api):
    body = {"email": "Ana.Diaz@Example.com ", "password": STRONG_PASSWORD, "full_name": "Ana Díaz",
            "phone": "+12025550123"}
    response = api.post("/v1/auth/signup", body)
    assert response.status_code == 202
    assert response.json == {"status": "verification_sent"}
    [email] = sent_emails("ana.diaz@example.com")
    assert "verification code" in email.body
    assert STRONG_PASSWORD not in email.body

    refused = api.post("/v1/auth/login", {"email": "ana.diaz@example.com",
                                          "password": STRONG_PASSWORD})
    assert refused.status_code == 403
    assert refused.json["code"] == "email_not_verified"

    wrong = api.post("/v1/auth/verify-email", {"email": "ana.diaz@example.com", "code": "000000"})
    assert wrong.status_code == 400 and wrong.json["code"] == "invalid_or_expired_code"
    code = last_code("ana.diaz@example.com")
    ok = api.post("/v1/auth/verify-email", {"email": "ANA.DIAZ@example.com", "code": code})
    assert ok.status_code == 200 and ok.json == {"status": "verified"}
    again = api.post("/v1/auth/verify-email", {"email": "ana.diaz@example.com", "code": code})
    assert again.status_code == 400, "a code works once"

    login = api.post("/v1/auth/login", {"email": "ana.diaz@EXAMPLE.com", "password": STRONG_PASSWORD})
    assert login.status_code == 200
    tokens = login.json
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] > 0
    profile = api.get("/v1/account", token=tokens["access_token"])
    assert profile.status_code == 200
    assert profile.json["email"] == "ana.diaz@example.com"
    assert profile.json["full_name"] == "Ana Díaz"
    assert profile.json["phone"] == "+12025550123"
    assert profile.json["email_verified"] is True


def test_signup_is_identical_for_existing_email_and_warns_owner(api, make_family):
    email, _, _ = make_family()
    before = len(sent_emails(email))
    response = api.post("/v1/auth/signup", {"email": email, "password": "another fine password 7",
                                            "full_name": "Mallory"})
    fresh = api.post("/v1/auth/signup", {"email": "new@example.com",
                                         "password": "another fine password 7",
                                         "full_name": "Mallory"})
    assert response.status_code == fresh.status_code == 202
    assert response.json == fresh.json
    warnings = sent_emails(email)[before:]
    assert len(warnings) == 1 and "tried to create" in warnings[0].body
    # The owner's password still works: the attempt changed nothing.
    assert api.post("/v1/auth/login", {"email": email, "password": STRONG_PASSWORD}).status_code == 200


def test_verification_code_expires_after_ten_minutes(api):
    api.post("/v1/auth/signup", {"email": "late@example.com", "password": STRONG_PASSWORD,
                                 "full_name": "Late"})
    code = last_code("late@example.com")
    clock.advance(601)
    response = api.post("/v1/auth/verify-email", {"email": "late@example.com", "code": code})
    assert response.status_code == 400


def test_ten_wrong_verification_codes_refuse_the_address(api):
    """api.md v2: wrong codes count per address (across re-sends, see the security suite)."""
    api.post("/v1/auth/signup", {"email": "guess@example.com", "password": STRONG_PASSWORD,
                                 "full_name": "Guess"})
    code = last_code("guess@example.com")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(10):
        assert api.post("/v1/auth/verify-email",
                        {"email": "guess@example.com", "code": wrong}).status_code == 400
    assert api.post("/v1/auth/verify-email",
                    {"email": "guess@example.com", "code": code}).status_code == 400


def test_unknown_email_and_wrong_password_look_the_same(api, make_family):
    email, _, _ = make_family(login=False)
    wrong = api.post("/v1/auth/login", {"email": email, "password": "not the password at all"})
    unknown = api.post("/v1/auth/login", {"email": "nobody@example.com",
                                          "password": "not the password at all"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json
    assert wrong.json["code"] == "invalid_credentials"
    assert wrong.headers["Content-Type"] == unknown.headers["Content-Type"] == \
        "application/problem+json"
    assert set(wrong.headers) == set(unknown.headers)


def test_unknown_email_costs_one_bcrypt_check_like_a_known_one(api, make_family, monkeypatch):
    import bcrypt

    email, _, _ = make_family(login=False)
    calls = []
    real = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda *a: calls.append(1) or real(*a))
    api.post("/v1/auth/login", {"email": email, "password": "not the password at all"})
    known = len(calls)
    api.post("/v1/auth/login", {"email": "ghost@example.com", "password": "not the password at all"})
    assert known == 1 and len(calls) - known == 1


def test_refresh_rotates_and_reuse_revokes_the_session(api, make_family):
    _, _, tokens = make_family()
    first = api.post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert first.status_code == 200
    rotated = first.json
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert api.get("/v1/account", token=rotated["access_token"]).status_code == 200
    assert api.get("/v1/account", token=tokens["access_token"]).status_code == 401

    reuse = api.post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert reuse.status_code == 401
    # Reuse of a rotated token is theft: the whole session is gone.
    assert api.get("/v1/account", token=rotated["access_token"]).status_code == 401
    assert api.post("/v1/auth/refresh",
                    {"refresh_token": rotated["refresh_token"]}).status_code == 401


def test_logout_revokes_at_once(api, make_family):
    _, _, tokens = make_family()
    assert api.post("/v1/auth/logout", token=tokens["access_token"]).status_code == 204
    assert api.get("/v1/account", token=tokens["access_token"]).status_code == 401
    assert api.post("/v1/auth/refresh",
                    {"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_access_token_expires_and_session_idles_out(api, make_family):
    _, _, tokens = make_family()
    clock.advance(15 * 60 + 1)
    assert api.get("/v1/account", token=tokens["access_token"]).status_code == 401
    renewed = api.post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert renewed.status_code == 200
    clock.advance(30 * 60 + 1)
    assert api.post("/v1/auth/refresh",
                    {"refresh_token": renewed.json["refresh_token"]}).status_code == 401


def test_session_ends_after_twelve_hours_even_when_busy(api, make_family):
    _, _, tokens = make_family()
    for _ in range(25):  # refresh every 29 minutes: never idle
        clock.advance(29 * 60)
        response = api.post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
        if response.status_code != 200:
            break
        tokens = response.json
    assert response.status_code == 401


def test_missing_or_garbage_tokens_get_401_problems(api):
    for header in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"},
                   {"Authorization": "Bearer x.y"}, {"Authorization": "Bearer " + "a" * 5000}):
        response = api.get("/v1/account", headers=header)
        assert response.status_code == 401
        assert response.json["status"] == 401


def _admin_token(api):
    create_staff("admin@demo.example", "Demo Admin", role="admin")
    return staff_sign_in(api, "admin@demo.example")["access_token"]


def test_admin_disable_revokes_sessions_and_blocks_sign_in(api, make_family):
    email, password, tokens = make_family()
    admin = _admin_token(api)
    account_id = api.get("/v1/account", token=tokens["access_token"]).json["account_id"]
    family_try = api.post(f"/v1/admin/accounts/{account_id}/disable", token=tokens["access_token"])
    assert family_try.status_code == 403
    assert api.post(f"/v1/admin/accounts/{account_id}/disable", token=admin).status_code == 204
    assert api.get("/v1/account", token=tokens["access_token"]).status_code == 401
    login = api.post("/v1/auth/login", {"email": email, "password": password})
    assert login.status_code == 403 and login.json["code"] == "account_disabled"
    assert api.post("/v1/admin/accounts/acc_nope/disable", token=admin).status_code == 404


def test_phones_in_a_us_national_format_are_stored_as_e164(api, make_family):
    """api.md v2 Conventions: inputs accept national formats, read as US numbers."""
    assert api.post("/v1/auth/signup", {"email": "national@example.com",
                                        "password": STRONG_PASSWORD, "full_name": "Nat Ional",
                                        "phone": "(503) 555-0142"}).status_code == 202
    assert api.post("/v1/auth/verify-email", {"email": "national@example.com",
                                              "code": last_code("national@example.com")}
                    ).status_code == 200
    tokens = api.post("/v1/auth/login", {"email": "national@example.com",
                                         "password": STRONG_PASSWORD}).json
    assert api.get("/v1/account", token=tokens["access_token"]).json["phone"] == "+15035550142"
    refused = api.post("/v1/auth/signup", {"email": "bad.phone@example.com",
                                           "password": STRONG_PASSWORD, "full_name": "Bad Phone",
                                           "phone": "555-01"})
    assert refused.status_code == 400 and refused.json["errors"][0]["field"] == "phone"
