"""Password change while signed in (issue 3, api.md "Account": POST /v1/account/password)."""
from __future__ import annotations

from chalicelib.core import clock
from tests.conftest import STRONG_PASSWORD
from tests.password_helpers import CHANGED_SUBJECT, emails_with_subject, reset_token

NEW_PASSWORD = "velvet thunder pocket 2031 maple"
CHANGE = "/v1/account/password"


def test_change_revokes_other_sessions_and_keeps_the_current_one(api, make_family):
    email, password, current = make_family()
    other = api.post("/v1/auth/login", {"email": email, "password": password}).json
    response = api.post(CHANGE, {"current_password": password, "new_password": NEW_PASSWORD},
                        token=current["access_token"])
    assert response.status_code == 200 and response.json == {"status": "password_changed"}

    assert api.get("/v1/account", token=current["access_token"]).status_code == 200
    assert api.post("/v1/auth/refresh",
                    {"refresh_token": current["refresh_token"]}).status_code == 200
    assert api.get("/v1/account", token=other["access_token"]).status_code == 401
    assert api.post("/v1/auth/refresh",
                    {"refresh_token": other["refresh_token"]}).status_code == 401
    assert api.post("/v1/auth/login", {"email": email, "password": password}).status_code == 401
    assert api.post("/v1/auth/login", {"email": email,
                                       "password": NEW_PASSWORD}).status_code == 200
    [changed] = emails_with_subject(email, CHANGED_SUBJECT)
    assert NEW_PASSWORD not in changed.body and password not in changed.body


def test_change_updates_password_changed_at(api, make_family):
    _, password, tokens = make_family()
    before = api.get("/v1/account", token=tokens["access_token"]).json["password_changed_at"]
    clock.advance(120)
    api.post(CHANGE, {"current_password": password, "new_password": NEW_PASSWORD},
             token=tokens["access_token"])
    after = api.get("/v1/account", token=tokens["access_token"]).json["password_changed_at"]
    assert after > before


def test_wrong_current_password_is_a_403_that_changes_nothing(api, make_family):
    email, password, tokens = make_family()
    response = api.post(CHANGE, {"current_password": "not my password at all",
                                 "new_password": NEW_PASSWORD}, token=tokens["access_token"])
    assert response.status_code == 403 and response.json["code"] == "reauthentication_required"
    assert response.json["errors"][0]["field"] == "current_password"
    assert api.get("/v1/account", token=tokens["access_token"]).status_code == 200
    assert api.post("/v1/auth/login", {"email": email, "password": password}).status_code == 200
    assert emails_with_subject(email, CHANGED_SUBJECT) == []


def test_wrong_current_passwords_count_toward_the_lockout(api, make_family):
    email, password, tokens = make_family()
    for _ in range(5):
        api.post(CHANGE, {"current_password": "not my password at all",
                          "new_password": NEW_PASSWORD}, token=tokens["access_token"])
    locked = api.post(CHANGE, {"current_password": password, "new_password": NEW_PASSWORD},
                      token=tokens["access_token"])
    assert locked.status_code == 429 and locked.json["code"] == "account_locked"
    assert api.post("/v1/auth/login", {"email": email, "password": password}).status_code == 429


def test_weak_new_password_is_refused_and_changes_nothing(api, make_family):
    email, password, tokens = make_family()
    for weak in ("password1234", "short", email.split("@")[0] + " and more words"):
        response = api.post(CHANGE, {"current_password": password, "new_password": weak},
                            token=tokens["access_token"])
        assert response.status_code == 400 and response.json["code"] == "weak_password"
        assert response.json["suggestions"]
    assert api.post("/v1/auth/login", {"email": email, "password": password}).status_code == 200


def test_change_needs_a_signed_in_caller(api):
    response = api.post(CHANGE, {"current_password": STRONG_PASSWORD,
                                 "new_password": NEW_PASSWORD})
    assert response.status_code == 401


def test_a_password_change_kills_an_outstanding_reset_link(api, make_family):
    email, password, tokens = make_family()
    api.post("/v1/auth/password/forgot", {"email": email})
    token = reset_token(email)
    api.post(CHANGE, {"current_password": password, "new_password": NEW_PASSWORD},
             token=tokens["access_token"])
    late = api.post("/v1/auth/password/reset", {"token": token,
                                                "new_password": "another sturdy phrase 77"})
    assert late.status_code == 400 and late.json["code"] == "invalid_or_expired_code"
    assert api.post("/v1/auth/login", {"email": email, "password": NEW_PASSWORD}).status_code == 200
