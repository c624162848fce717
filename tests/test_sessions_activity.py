"""New-device alerts, the sessions list, account activity, preferences and password reminders
(issue 3; api.md "Account")."""
from __future__ import annotations

import io
import logging

import pytest

from chalicelib.accounts import reminders
from chalicelib.accounts.store import Account, account_by_email
from chalicelib.core import clock, secrets
from chalicelib.core.jobs import JobState
from chalicelib.core.logs import JsonLineFormatter, logger
from tests.conftest import sent_emails
from tests.mfa_helpers import (CHROME_MAC, FIREFOX_WINDOWS, SAFARI_IPHONE, activity_types,  # noqa: F401
                               answer, challenge, create_staff, enrol, kms_key,
                               staff_sign_in, totp_code)

DAY = 24 * 3600


def login(api, email, password, user_agent=None):
    headers = {"User-Agent": user_agent} if user_agent else None
    response = api.post("/v1/auth/login", {"email": email, "password": password}, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def new_sign_in_emails(email):
    return [m for m in sent_emails(email) if "New sign-in" in m.subject]


# --- new devices ---------------------------------------------------------------------------

def test_new_device_email_is_sent_once_per_new_device(api, make_family):
    email, password, tokens = make_family()
    assert new_sign_in_emails(email) == [], "the account's first device is not 'new'"
    login(api, email, password)
    assert new_sign_in_emails(email) == []

    login(api, email, password, FIREFOX_WINDOWS)
    [alert] = new_sign_in_emails(email)
    assert "Firefox on Windows" in alert.body
    assert "IP address:" in alert.body and "(UTC)" in alert.body
    assert "If this wasn't you, reset your password" in alert.body
    login(api, email, password, FIREFOX_WINDOWS)
    assert len(new_sign_in_emails(email)) == 1, "a known device gets no second alert"
    login(api, email, password, SAFARI_IPHONE)
    assert len(new_sign_in_emails(email)) == 2
    events = api.get("/v1/account/activity?limit=100", token=tokens["access_token"]).json["items"]
    devices = [e["detail"]["device"] for e in events if e["type"] == "new_device_login"]
    assert devices == ["Safari on iPhone", "Firefox on Windows"]


@pytest.mark.usefixtures("kms_key")
def test_a_remembered_device_is_not_new(api, make_family):
    email, password, tokens = make_family()
    secret, _ = enrol(api, tokens["access_token"])
    api.headers["User-Agent"] = CHROME_MAC
    done = answer(api, challenge(api, email, password)["challenge_id"], "totp", totp_code(secret),
                  remember_device=True)
    assert len(new_sign_in_emails(email)) == 1
    api.headers["User-Agent"] = CHROME_MAC + " (updated)"
    direct = api.post("/v1/auth/login", {"email": email, "password": password,
                                         "device_token": done.json["device_token"]})
    assert "access_token" in direct.json
    assert len(new_sign_in_emails(email)) == 1, "the device token identifies the device"


# --- sessions ------------------------------------------------------------------------------

def test_sessions_list_shows_live_sessions_newest_first_and_marks_the_current_one(api, make_family):
    email, password, first = make_family()
    clock.advance(60)
    firefox = login(api, email, password, FIREFOX_WINDOWS)
    clock.advance(60)
    chrome = login(api, email, password, CHROME_MAC)
    listed = api.get("/v1/account/sessions", token=firefox["access_token"])
    assert listed.status_code == 200
    items = listed.json["items"]
    assert [i["device"] for i in items] == ["Chrome on macOS", "Firefox on Windows",
                                            "pytest-client"]
    assert [i["current"] for i in items] == [False, True, False]
    assert all(i["ip"] and i["created_at"].endswith("Z") and i["last_used_at"] for i in items)
    assert listed.json["next_cursor"] is None

    first_page = api.get("/v1/account/sessions?limit=2", token=chrome["access_token"]).json
    assert len(first_page["items"]) == 2 and first_page["next_cursor"]
    rest = api.get(f"/v1/account/sessions?limit=2&cursor={first_page['next_cursor']}",
                   token=chrome["access_token"]).json
    ids = [i["session_id"] for i in first_page["items"] + rest["items"]]
    assert len(set(ids)) == 3

    assert api.post("/v1/auth/logout", token=first["access_token"]).status_code == 204
    after = api.get("/v1/account/sessions", token=chrome["access_token"]).json["items"]
    assert len(after) == 2, "a logged-out session is not listed"


def test_idle_sessions_are_not_listed(api, make_family):
    email, password, idle = make_family()
    busy = login(api, email, password, FIREFOX_WINDOWS)
    for _ in range(3):  # 42 minutes: past the 30-minute idle limit of the untouched session
        clock.advance(14 * 60)
        assert api.get("/v1/account", token=busy["access_token"]).status_code == 200
        refreshed = api.post("/v1/auth/refresh", {"refresh_token": busy["refresh_token"]})
        assert refreshed.status_code == 200, refreshed.json
        busy = refreshed.json
    items = api.get("/v1/account/sessions", token=busy["access_token"]).json["items"]
    assert [i["device"] for i in items] == ["Firefox on Windows"]
    assert api.post("/v1/auth/refresh",
                    {"refresh_token": idle["refresh_token"]}).status_code == 401, "idle: ended"


def test_revoking_a_session_ends_it_at_once(api, make_family):
    email, password, mine = make_family()
    other = login(api, email, password, SAFARI_IPHONE)
    other_id = other["access_token"].split(".")[0]
    revoked = api.delete(f"/v1/account/sessions/{other_id}", token=mine["access_token"])
    assert revoked.status_code == 204
    assert api.get("/v1/account", token=other["access_token"]).status_code == 401
    assert api.post("/v1/auth/refresh", {"refresh_token": other["refresh_token"]}).status_code == 401
    again = api.delete(f"/v1/account/sessions/{other_id}", token=mine["access_token"])
    assert again.status_code == 404
    _, _, stranger = make_family()
    mine_id = mine["access_token"].split(".")[0]
    foreign = api.delete(f"/v1/account/sessions/{mine_id}", token=stranger["access_token"])
    assert foreign.status_code == 404, "someone else's session does not exist for you"
    assert api.get("/v1/account", token=mine["access_token"]).status_code == 200
    events = api.get("/v1/account/activity", token=mine["access_token"]).json["items"]
    assert events[0]["type"] == "session_revoked"
    assert events[0]["detail"] == {"session_id": other_id, "device": "Safari on iPhone"}


# --- activity ------------------------------------------------------------------------------

def test_activity_records_sign_in_decisions_newest_first_with_ip_and_user_agent(api, make_family):
    email, password, tokens = make_family()
    api.post("/v1/auth/login", {"email": email, "password": "wrong password, sorry"},
             headers={"User-Agent": FIREFOX_WINDOWS})
    clock.advance(1)
    second = login(api, email, password, FIREFOX_WINDOWS)
    clock.advance(1)
    api.post("/v1/auth/logout", token=second["access_token"])
    events = api.get("/v1/account/activity", token=tokens["access_token"]).json["items"]
    assert [e["type"] for e in events] == ["logout", "new_device_login", "login_succeeded",
                                           "login_failed", "login_succeeded"]
    failed = events[3]
    assert failed["outcome"] == "failure" and failed["detail"] == {"reason": "wrong_password"}
    assert failed["user_agent"] == FIREFOX_WINDOWS and failed["ip"]
    assert events[-1]["user_agent"] == "pytest-client/1.0"
    times = [e["at"] for e in events]
    assert times == sorted(times, reverse=True)


def test_activity_pages_with_a_cursor_bound_to_the_account(api, make_family):
    email, password, tokens = make_family()
    for _ in range(4):
        login(api, email, password)
    token = tokens["access_token"]
    seen, cursor = [], None
    while True:
        path = "/v1/account/activity?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(path, token=token).json
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [e["type"] for e in seen] == ["login_succeeded"] * 5
    first_cursor = api.get("/v1/account/activity?limit=2", token=token).json["next_cursor"]
    _, _, stranger = make_family()
    foreign = api.get(f"/v1/account/activity?cursor={first_cursor}",
                      token=stranger["access_token"])
    assert foreign.status_code == 400
    assert api.get("/v1/account/activity?limit=0", token=token).status_code == 400


def test_refresh_token_reuse_and_admin_actions_are_recorded(api, make_family):
    email, password, tokens = make_family()
    api.post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    api.post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    fresh = login(api, email, password)
    assert "refresh_token_reuse" in activity_types(api, fresh["access_token"])

    create_staff("root@kinlink.example", "Root Admin", role="admin")
    admin = staff_sign_in(api, "root@kinlink.example")
    account_id = api.get("/v1/account", token=fresh["access_token"]).json["account_id"]
    for action in ("unlock", "disable"):
        response = api.post(f"/v1/admin/accounts/{account_id}/{action}",
                            token=admin["access_token"])
        assert response.status_code == 204
    from chalicelib.accounts import activity

    types = [e["type"] for e in activity.newest_first(account_id, 10, None)["items"]]
    assert types[:2] == ["account_disabled", "account_unlocked"]


@pytest.mark.usefixtures("kms_key")
def test_no_secret_reaches_activity_or_logs(api, make_family):
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(JsonLineFormatter())
    logger().addHandler(handler)
    try:
        email, password, tokens = make_family()
        secret, recovery = enrol(api, tokens["access_token"])
        pending = challenge(api, email, password)
        wrong = answer(api, pending["challenge_id"], "totp", "000000")
        assert wrong.status_code == 401
        totp = totp_code(secret)
        done = answer(api, pending["challenge_id"], "totp", totp, remember_device=True)
        again = answer(api, challenge(api, email, password)["challenge_id"], "recovery_code",
                       recovery[0])
        refreshed = api.post("/v1/auth/refresh", {"refresh_token": again.json["refresh_token"]})
        activity_dump = api.get("/v1/account/activity?limit=100",
                                token=refreshed.json["access_token"]).body.decode()
    finally:
        logger().removeHandler(handler)
    secrets_used = [password, secret, totp, recovery[0], tokens["access_token"],
                    tokens["refresh_token"], done.json["access_token"], done.json["device_token"],
                    again.json["refresh_token"], refreshed.json["access_token"],
                    pending["challenge_id"]]
    logs = captured.getvalue()
    assert "login_succeeded" in logs
    for value in secrets_used:
        for part in {value, *value.split(".")[1:]}:  # whole tokens and their secret halves
            assert part not in logs, part
            assert part not in activity_dump, part


# --- preferences and password reminders ----------------------------------------------------

def test_preferences_default_and_update(api, make_family):
    email, _, tokens = make_family()
    token = tokens["access_token"]
    profile = api.get("/v1/account", token=token).json
    assert profile["preferences"] == {"password_reminder": False, "notify_messages": True,
                                      "message_digest": False}
    assert profile["password_changed_at"].endswith("Z")
    updated = api.post("/v1/account/preferences", {"password_reminder": True}, token=token)
    assert updated.status_code == 200
    assert updated.json == {"password_reminder": True, "notify_messages": True,
                            "message_digest": False}
    account = account_by_email(email)
    assert account.reminder_due_day == reminders.due_day(account)
    api.post("/v1/account/preferences", {"password_reminder": False, "notify_messages": False},
             token=token)
    account = account_by_email(email)
    assert account.reminder_due_day is None
    assert api.get("/v1/account", token=token).json["preferences"] == {
        "password_reminder": False, "notify_messages": False, "message_digest": False}
    bad = api.post("/v1/account/preferences", {"password_reminder": "yes"}, token=token)
    assert bad.status_code == 400


def test_a_preference_sent_as_null_keeps_its_value(api, make_family):
    """Found by schemathesis: null was stored and then served where a boolean is promised."""
    _, _, tokens = make_family()
    token = tokens["access_token"]
    response = api.post("/v1/account/preferences", {"notify_messages": None}, token=token)
    assert response.status_code == 200
    assert response.json == {"password_reminder": False, "notify_messages": True,
                             "message_digest": False}


def test_reminder_job_emails_opted_in_overdue_accounts_once(api, make_family):
    opted_in, _, tokens = make_family()
    opted_out, _, _ = make_family()
    changed_since, _, changer = make_family()
    for token in (tokens["access_token"], changer["access_token"]):
        api.post("/v1/account/preferences", {"password_reminder": True}, token=token)
    reminders.send_due_reminders()  # today: nobody is due yet
    assert not [m for m in sent_emails() if "reminder" in m.subject]

    clock.advance(100 * DAY)
    changer_account = account_by_email(changed_since)
    changer_account.update(actions=[Account.password_changed_at.set(clock.iso())])
    reminders.schedule_for(changer_account)  # what a password change does
    clock.advance(81 * DAY)
    report = reminders.send_due_reminders()
    assert report.sent == 1
    [reminder] = [m for m in sent_emails() if "reminder" in m.subject]
    assert reminder.destinations["ToAddresses"] == [opted_in]
    assert "181 days ago" in reminder.body and "don't have to change it" in reminder.body
    assert reminders.send_due_reminders().sent == 0, "one reminder per password"
    assert opted_out not in str([m.destinations for m in sent_emails()
                                 if "reminder" in m.subject])


def _account_due(n: int, *, days_old: int, opted_in: bool = True) -> None:
    changed = clock.iso(clock.now() - days_old * DAY)
    account = Account(secrets.new_id("acc_"), email=f"bulk{n}@example.com", full_name="Bulk",
                      password_hash="x", created_at=changed, password_changed_at=changed,
                      email_verified=True, preferences={"password_reminder": opted_in})
    account.save()
    reminders.schedule_for(account)


def test_reminder_job_queries_do_not_depend_on_the_number_of_accounts(api, monkeypatch):
    queries = []
    real_query = Account.by_reminder_due.query
    monkeypatch.setattr(Account.by_reminder_due, "query",
                        lambda *a, **k: queries.append(a) or real_query(*a, **k))
    monkeypatch.setattr(Account, "scan", lambda *a, **k: pytest.fail("the job must not scan"))

    for n in range(3):
        _account_due(n, days_old=200)
    small = reminders.send_due_reminders()
    small_queries = len(queries)

    JobState(reminders.JOB_NAME).delete()  # same window again, now with many more accounts
    queries.clear()
    for n in range(3, 6):
        _account_due(n, days_old=190)
    for n in range(6, 46):
        _account_due(n, days_old=10 + n, opted_in=n % 2 == 0)
    large = reminders.send_due_reminders()
    assert small.sent == large.sent == 3
    assert len(queries) == small_queries == small.pages
