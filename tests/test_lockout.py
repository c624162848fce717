"""Lockout exactly as api.md "Lockout": 5 failures -> 15 min, doubling to 24 h, 429 with
Retry-After, identical for unknown emails, not extended while locked, enforced on read."""
from __future__ import annotations

import pytest

from chalicelib.core import clock

WRONG = "definitely not the password"


def fail(api, email, times=5):
    for _ in range(times):
        assert api.post("/v1/auth/login", {"email": email, "password": WRONG}).status_code == 401


def test_fifth_failure_locks_for_fifteen_minutes_even_with_the_right_password(api, make_family):
    email, password, _ = make_family(login=False)
    fail(api, email)
    locked = api.post("/v1/auth/login", {"email": email, "password": password})
    assert locked.status_code == 429
    assert locked.json["code"] == "account_locked"
    assert locked.json["retry_after_seconds"] == 15 * 60 or \
        abs(locked.json["retry_after_seconds"] - 15 * 60) <= 2
    assert locked.headers["Retry-After"] == str(locked.json["retry_after_seconds"])
    assert "minutes" in locked.json["detail"]
    clock.advance(15 * 60 + 2)
    assert api.post("/v1/auth/login", {"email": email, "password": password}).status_code == 200


def test_four_failures_then_success_resets_the_count(api, make_family):
    email, password, _ = make_family(login=False)
    fail(api, email, 4)
    assert api.post("/v1/auth/login", {"email": email, "password": password}).status_code == 200
    fail(api, email, 4)
    assert api.post("/v1/auth/login", {"email": email, "password": password}).status_code == 200


def test_repeat_lockouts_double_up_to_the_cap(api, make_family):
    email, password, _ = make_family(login=False)
    waits = []
    for _ in range(9):
        fail(api, email)
        response = api.post("/v1/auth/login", {"email": email, "password": password})
        assert response.status_code == 429
        waits.append(response.json["retry_after_seconds"])
        clock.advance(response.json["retry_after_seconds"] + 1)
    minutes = [round(w / 60) for w in waits]
    assert minutes == [15, 30, 60, 120, 240, 480, 960, 1440, 1440]


def test_attempts_while_locked_do_not_extend_the_lock(api, make_family):
    email, password, _ = make_family(login=False)
    fail(api, email)
    first = api.post("/v1/auth/login", {"email": email, "password": WRONG}).json
    clock.advance(60)
    for _ in range(10):
        response = api.post("/v1/auth/login", {"email": email, "password": WRONG})
        assert response.status_code == 429
    later = api.post("/v1/auth/login", {"email": email, "password": password}).json
    assert later["retry_after_seconds"] <= first["retry_after_seconds"] - 59
    clock.advance(later["retry_after_seconds"] + 1)
    assert api.post("/v1/auth/login", {"email": email, "password": password}).status_code == 200


def test_unknown_email_locks_identically(api, make_family):
    known, _, _ = make_family(login=False)
    unknown = "nobody-at-all@example.com"
    fail(api, known)
    fail(api, unknown)
    a = api.post("/v1/auth/login", {"email": known, "password": WRONG})
    b = api.post("/v1/auth/login", {"email": unknown, "password": WRONG})
    assert a.status_code == b.status_code == 429
    # The two requests are a moment apart, so the wait may differ by a second; nothing else may.
    wait_a, wait_b = a.json.pop("retry_after_seconds"), b.json.pop("retry_after_seconds")
    assert abs(wait_a - wait_b) <= 1
    assert abs(int(a.headers["Retry-After"]) - int(b.headers["Retry-After"])) <= 1
    assert {k: v for k, v in a.json.items() if k != "detail"} == \
        {k: v for k, v in b.json.items() if k != "detail"}
    assert set(a.headers) == set(b.headers)


def test_lockout_is_per_email_after_normalisation(api, make_family):
    email, password, _ = make_family(login=False)
    fail(api, email.upper())
    assert api.post("/v1/auth/login", {"email": email, "password": password}).status_code == 429
    other, other_password, _ = make_family(login=False)
    assert api.post("/v1/auth/login", {"email": other, "password": other_password}).status_code == 200


def test_admin_unlock_clears_the_lock(api, make_family):
    from tests.test_accounts import _admin_token

    email, password, tokens = make_family()
    account_id = api.get("/v1/account", token=tokens["access_token"]).json["account_id"]
    fail(api, email)
    assert api.post("/v1/auth/login", {"email": email, "password": password}).status_code == 429
    admin = _admin_token(api)
    assert api.post(f"/v1/admin/accounts/{account_id}/unlock", token=admin).status_code == 204
    assert api.post("/v1/auth/login", {"email": email, "password": password}).status_code == 200


@pytest.mark.parametrize("name,value", [("LOCKOUT_THRESHOLD", "3"),
                                        ("LOCKOUT_BASE_SECONDS", "120")])
def test_thresholds_come_from_configuration(api, make_family, monkeypatch, name, value):
    from chalicelib.config import reset_settings

    monkeypatch.setenv(name, value)
    reset_settings()
    email, password, _ = make_family(login=False)
    fail(api, email, 3 if name == "LOCKOUT_THRESHOLD" else 5)
    response = api.post("/v1/auth/login", {"email": email, "password": password})
    assert response.status_code == 429
    expected = 120 if name == "LOCKOUT_BASE_SECONDS" else 15 * 60
    assert abs(response.json["retry_after_seconds"] - expected) <= 2
