"""Forgotten-password reset (issue 3, api.md "Password reset"): every rule of the contract."""
from __future__ import annotations

import base64
import json
import re

import pytest

from chalicelib.accounts.activity import ActivityEvent
from chalicelib.config import get_settings
from chalicelib.core import aws, clock, notify
from tests.conftest import STRONG_PASSWORD, last_code, sent_emails, sent_sms
from tests.password_helpers import (CHANGED_SUBJECT, RESET_SUBJECT, emails_with_subject,
                                    reset_link, reset_token)

NEW_PASSWORD = "velvet thunder pocket 2031 maple"
WEAK_PASSWORD = "password1234"
FORGOT = "/v1/auth/password/forgot"
RESET = "/v1/auth/password/reset"


def forgot(api, email, channel=None, **kw):
    body = {"email": email} if channel is None else {"email": email, "channel": channel}
    return api.post(FORGOT, body, **kw)


def activity_of(account_id: str) -> list[ActivityEvent]:
    return list(ActivityEvent.query(account_id))


def account_id_of(api, tokens) -> str:
    return api.get("/v1/account", token=tokens["access_token"]).json["account_id"]


def can_sign_in(api, email, password) -> int:
    return api.post("/v1/auth/login", {"email": email, "password": password}).status_code


def test_forgot_answers_the_same_for_unknown_and_known_emails(api, make_family):
    email, _, _ = make_family(login=False)
    known = forgot(api, email)
    unknown = forgot(api, "nobody@example.com")
    assert known.status_code == unknown.status_code == 202
    assert known.json == unknown.json == {"status": "sent_if_registered"}
    assert set(known.headers) == set(unknown.headers)
    assert len(emails_with_subject(email, RESET_SUBJECT)) == 1
    assert sent_emails("nobody@example.com") == []


def test_reset_email_holds_a_link_from_configuration_and_a_code(api, make_family):
    email, _, _ = make_family(login=False)
    forgot(api, email)
    link = reset_link(email)
    assert link.startswith(get_settings().public_base_url + "/reset-password#token=")
    [message] = emails_with_subject(email, RESET_SUBJECT)
    assert re.findall(r"\b\d{6}\b", message.body) == [last_code(email)], "only the code is 6 digits"
    assert "never ask you for your password" in message.body


def test_host_header_never_influences_the_link(api, make_family):
    email, _, _ = make_family(login=False)
    forgot(api, email, headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example",
                                "Origin": "https://evil.example"})
    link = reset_link(email)
    assert "evil" not in link
    assert link.startswith(get_settings().public_base_url + "/")


def test_reset_token_has_at_least_128_bits_and_is_fresh_each_time(api, make_family):
    email, _, _ = make_family(login=False)
    tokens = set()
    for _ in range(3):
        forgot(api, email)
        token = reset_token(email)
        secret = token.split(".", 1)[1]
        raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
        assert len(raw) * 8 >= 128
        assert re.fullmatch(r"[A-Za-z0-9_\-]+", secret), "URL-safe"
        tokens.add(token)
    assert len(tokens) == 3


def test_tables_hold_no_reset_token_or_code_in_clear(api, make_family):
    email, _, _ = make_family(login=False)
    forgot(api, email)
    token, code = reset_token(email), last_code(email)
    table = get_settings().table_prefix + "one-time-codes"
    items = aws.client("dynamodb").scan(TableName=table)["Items"]
    assert items, "the reset request is stored"
    dump = json.dumps(items)
    for secret in (token, token.split(".", 1)[1], code):
        assert secret not in dump


def test_reset_by_link_sets_the_password_and_ends_every_session(api, make_family):
    email, old_password, tokens = make_family()
    second = api.post("/v1/auth/login", {"email": email, "password": old_password}).json
    account_id = account_id_of(api, tokens)
    forgot(api, email)
    response = api.post(RESET, {"token": reset_token(email), "new_password": NEW_PASSWORD})
    assert response.status_code == 200 and response.json == {"status": "password_reset"}

    for pair in (tokens, second):
        assert api.get("/v1/account", token=pair["access_token"]).status_code == 401
        assert api.post("/v1/auth/refresh",
                        {"refresh_token": pair["refresh_token"]}).status_code == 401
    assert can_sign_in(api, email, old_password) == 401
    assert can_sign_in(api, email, NEW_PASSWORD) == 200

    [changed] = emails_with_subject(email, CHANGED_SUBJECT)
    assert NEW_PASSWORD not in changed.body and old_password not in changed.body
    types = [event.type for event in activity_of(account_id)]
    assert "password_reset_requested" in types and "password_reset" in types


def test_reset_by_email_and_code(api, make_family):
    email, _, _ = make_family(login=False)
    forgot(api, email)
    response = api.post(RESET, {"email": email.upper(), "code": last_code(email),
                                "new_password": NEW_PASSWORD})
    assert response.status_code == 200
    assert can_sign_in(api, email, NEW_PASSWORD) == 200


def test_reset_link_and_code_work_once(api, make_family):
    email, _, _ = make_family(login=False)
    forgot(api, email)
    token, code = reset_token(email), last_code(email)
    assert api.post(RESET, {"token": token, "new_password": NEW_PASSWORD}).status_code == 200
    again = api.post(RESET, {"token": token, "new_password": "another sturdy phrase 77"})
    assert again.status_code == 400 and again.json["code"] == "invalid_or_expired_code"
    by_code = api.post(RESET, {"email": email, "code": code,
                               "new_password": "another sturdy phrase 77"})
    assert by_code.status_code == 400, "link and code are one request: using one kills both"
    assert can_sign_in(api, email, NEW_PASSWORD) == 200


@pytest.mark.parametrize("by", ["token", "code"])
def test_reset_expires_after_ten_minutes(api, make_family, by):
    email, _, _ = make_family(login=False)
    forgot(api, email)
    body = ({"token": reset_token(email)} if by == "token"
            else {"email": email, "code": last_code(email)})
    clock.advance(10 * 60 + 1)
    response = api.post(RESET, {**body, "new_password": NEW_PASSWORD})
    assert response.status_code == 400 and response.json["code"] == "invalid_or_expired_code"


def test_a_new_request_replaces_the_old_one(api, make_family):
    email, _, _ = make_family(login=False)
    forgot(api, email)
    old_token, old_code = reset_token(email), last_code(email)
    forgot(api, email)
    assert api.post(RESET, {"token": old_token, "new_password": NEW_PASSWORD}).status_code == 400
    if old_code != last_code(email):
        assert api.post(RESET, {"email": email, "code": old_code,
                                "new_password": NEW_PASSWORD}).status_code == 400
    assert api.post(RESET, {"token": reset_token(email),
                            "new_password": NEW_PASSWORD}).status_code == 200


def test_five_wrong_codes_kill_the_code_but_not_the_link(api, make_family):
    email, _, _ = make_family(login=False)
    forgot(api, email)
    code, token = last_code(email), reset_token(email)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        response = api.post(RESET, {"email": email, "code": wrong, "new_password": NEW_PASSWORD})
        assert response.status_code == 400 and response.json["code"] == "invalid_or_expired_code"
    assert api.post(RESET, {"email": email, "code": code,
                            "new_password": NEW_PASSWORD}).status_code == 400
    assert api.post(RESET, {"token": token, "new_password": NEW_PASSWORD}).status_code == 200


def test_at_most_three_sends_per_hour_still_202_then_allowed_again(api, make_family):
    email, _, _ = make_family(login=False)
    for _ in range(5):
        response = forgot(api, email)
        assert response.status_code == 202 and response.json == {"status": "sent_if_registered"}
    assert len(emails_with_subject(email, RESET_SUBJECT)) == 3
    clock.advance(59 * 60)
    forgot(api, email)
    assert len(emails_with_subject(email, RESET_SUBJECT)) == 3
    clock.advance(60 + 1)
    forgot(api, email)
    assert len(emails_with_subject(email, RESET_SUBJECT)) == 4


def test_sends_are_limited_across_channels(api, make_family):
    email, _, tokens = make_family()
    phone = verify_phone(api, tokens, "+12025550199")
    for channel in ("sms", "email", "sms", "email"):
        forgot(api, email, channel)
    assert len(sent_sms(phone)) - 1 == 2  # one SMS was the phone verification
    assert len(emails_with_subject(email, RESET_SUBJECT)) == 1


def test_forgot_works_while_locked_out_and_reset_clears_the_lockout(api, make_family):
    email, _, _ = make_family(login=False)
    for _ in range(5):
        api.post("/v1/auth/login", {"email": email, "password": "wrong password entirely"})
    assert api.post("/v1/auth/login", {"email": email, "password": STRONG_PASSWORD}).status_code == 429
    assert forgot(api, email).status_code == 202
    assert api.post(RESET, {"token": reset_token(email),
                            "new_password": NEW_PASSWORD}).status_code == 200
    assert can_sign_in(api, email, NEW_PASSWORD) == 200


def test_weak_password_is_refused_with_suggestions_and_does_not_use_up_the_request(api, make_family):
    email, _, _ = make_family(login=False)
    forgot(api, email)
    token, code = reset_token(email), last_code(email)
    weak = api.post(RESET, {"token": token, "new_password": WEAK_PASSWORD})
    assert weak.status_code == 400 and weak.json["code"] == "weak_password"
    assert weak.json["suggestions"]
    for _ in range(6):  # more than the code's attempt budget: weak passwords spend nothing
        by_code = api.post(RESET, {"email": email, "code": code, "new_password": WEAK_PASSWORD})
        assert by_code.json["code"] == "weak_password"
    assert api.post(RESET, {"token": token, "new_password": NEW_PASSWORD}).status_code == 200


def test_weak_password_answer_does_not_reveal_whether_the_email_exists(api, make_family):
    email, _, _ = make_family(login=False)
    known = api.post(RESET, {"email": email, "code": "123456", "new_password": WEAK_PASSWORD})
    unknown = api.post(RESET, {"email": "ghost@example.com", "code": "123456",
                               "new_password": WEAK_PASSWORD})
    assert known.json == unknown.json
    known = api.post(RESET, {"email": email, "code": "123456", "new_password": NEW_PASSWORD})
    unknown = api.post(RESET, {"email": "ghost@example.com", "code": "123456",
                               "new_password": NEW_PASSWORD})
    assert known.json == unknown.json and known.json["code"] == "invalid_or_expired_code"


@pytest.mark.parametrize("body", [
    {"new_password": NEW_PASSWORD},
    {"token": "acc_x.y", "email": "a@example.com", "code": "123456", "new_password": NEW_PASSWORD},
    {"email": "a@example.com", "new_password": NEW_PASSWORD},
    {"token": "no-dot-here", "new_password": NEW_PASSWORD},
    {"token": "acc_unknown.secret", "new_password": NEW_PASSWORD},
])
def test_reset_needs_either_a_token_or_email_and_code(api, body):
    response = api.post(RESET, body)
    assert response.status_code == 400
    assert response.json["code"] in ("invalid_request", "invalid_or_expired_code")


def test_reset_changes_nothing_but_password_and_session_epoch(api, make_family):
    """A reset never bypasses 2FA: MFA state (and every other field) is left as it was."""
    email, _, tokens = make_family()
    account_id = account_id_of(api, tokens)
    table = get_settings().table_prefix + "accounts"
    dynamodb = aws.client("dynamodb")
    dynamodb.update_item(TableName=table, Key={"account_id": {"S": account_id}},
                         UpdateExpression="SET mfa_marker = :on",
                         ExpressionAttributeValues={":on": {"BOOL": True}})
    before = dynamodb.get_item(TableName=table, Key={"account_id": {"S": account_id}})["Item"]
    forgot(api, email)
    api.post(RESET, {"token": reset_token(email), "new_password": NEW_PASSWORD})
    after = dynamodb.get_item(TableName=table, Key={"account_id": {"S": account_id}})["Item"]
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert changed == {"password_hash", "password_changed_at", "session_epoch"}


# --- SMS channel and phone verification -----------------------------------------------------

def verify_phone(api, tokens, phone: str) -> str:
    assert api.post("/v1/account/phone", {"phone": phone, "current_password": STRONG_PASSWORD},
                    token=tokens["access_token"]).status_code == 202
    code = re.search(r"\b(\d{6})\b", sent_sms(phone)[-1]).group(1)
    assert api.post("/v1/account/phone/verify", {"code": code},
                    token=tokens["access_token"]).status_code == 200
    return phone


def test_phone_verification_marks_the_phone_verified(api, make_family):
    _, _, tokens = make_family()
    phone = "+12025550142"
    assert api.post("/v1/account/phone", {"phone": phone, "current_password": STRONG_PASSWORD},
                    token=tokens["access_token"]).json == {"status": "code_sent"}
    code = re.search(r"\b(\d{6})\b", sent_sms(phone)[-1]).group(1)
    assert api.get("/v1/account", token=tokens["access_token"]).json["phone"] is None
    wrong = "000000" if code != "000000" else "111111"
    refused = api.post("/v1/account/phone/verify", {"code": wrong}, token=tokens["access_token"])
    assert refused.status_code == 400 and refused.json["code"] == "invalid_or_expired_code"
    ok = api.post("/v1/account/phone/verify", {"code": code}, token=tokens["access_token"])
    assert ok.status_code == 200 and ok.json == {"status": "phone_verified"}
    assert api.get("/v1/account", token=tokens["access_token"]).json["phone"] == phone
    assert api.post("/v1/account/phone/verify", {"code": code},
                    token=tokens["access_token"]).status_code == 400, "a code works once"


def test_phone_verification_needs_sign_in_and_a_valid_number(api, make_family):
    _, _, tokens = make_family()
    assert api.post("/v1/account/phone", {"phone": "+12025550142",
                                          "current_password": STRONG_PASSWORD}).status_code == 401
    for bad in ("202-555", "+1202", "+19999999999", "call me"):
        response = api.post("/v1/account/phone", {"phone": bad,
                                                  "current_password": STRONG_PASSWORD},
                            token=tokens["access_token"])
        assert response.status_code == 400, bad
    assert sent_sms() == []


def test_phone_verification_sends_are_limited(api, make_family):
    _, _, tokens = make_family()
    for _ in range(3):
        assert api.post("/v1/account/phone", {"phone": "+12025550142",
                                              "current_password": STRONG_PASSWORD},
                        token=tokens["access_token"]).status_code == 202
    limited = api.post("/v1/account/phone", {"phone": "+12025550142",
                                             "current_password": STRONG_PASSWORD},
                       token=tokens["access_token"])
    assert limited.status_code == 429 and limited.json["code"] == "too_many_codes_sent"
    assert int(limited.headers["Retry-After"]) > 0
    assert len(sent_sms("+12025550142")) == 3


def test_sms_reset_goes_only_to_a_verified_phone_and_holds_the_code_only(api, make_family):
    email, _, tokens = make_family()
    phone = verify_phone(api, tokens, "+12025550177")
    emails_before = len(emails_with_subject(email, RESET_SUBJECT))
    forgot(api, email, "sms")
    text = sent_sms(phone)[-1]
    code = re.search(r"\b(\d{6})\b", text).group(1)
    assert "http" not in text and "token" not in text
    assert len(emails_with_subject(email, RESET_SUBJECT)) == emails_before
    assert api.post(RESET, {"email": email, "code": code,
                            "new_password": NEW_PASSWORD}).status_code == 200


def test_sms_reset_without_a_verified_phone_sends_no_sms_and_falls_back_to_email(api):
    phone = "+12025550123"
    api.post("/v1/auth/signup", {"email": "unverified.phone@example.com", "full_name": "Pat",
                                 "password": STRONG_PASSWORD, "phone": phone})
    api.post("/v1/auth/verify-email", {"email": "unverified.phone@example.com",
                                       "code": last_code("unverified.phone@example.com")})
    response = forgot(api, "unverified.phone@example.com", "sms")
    assert response.status_code == 202 and response.json == {"status": "sent_if_registered"}
    assert sent_sms(phone) == []
    assert len(emails_with_subject("unverified.phone@example.com", RESET_SUBJECT)) == 1


# --- delivery failures ----------------------------------------------------------------------

class FailingNotifier:
    def email(self, to, template, **context):
        return False

    def sms(self, phone, template, **context):
        return False


def test_failed_delivery_still_answers_202_and_leaves_no_live_code(api, make_family):
    email, _, tokens = make_family()
    account_id = account_id_of(api, tokens)
    notify.use_notifier(FailingNotifier())
    response = forgot(api, email)
    assert response.status_code == 202 and response.json == {"status": "sent_if_registered"}
    table = get_settings().table_prefix + "one-time-codes"
    assert aws.client("dynamodb").scan(TableName=table)["Items"] == []
    [event] = [e for e in activity_of(account_id) if e.type == "password_reset_requested"]
    assert event.outcome == "send_failed"


def test_ses_rejection_still_answers_202_and_the_message_stays_queued_for_a_retry(api, make_family):
    """Sending happens out of band: SES refusing shows in the worker, never in the answer.  The
    message goes back to the queue (retried, then dead-lettered), its code unused."""
    email, _, _ = make_family(login=False)
    aws.client("ses").delete_identity(Identity=get_settings().email_sender)
    response = forgot(api, email)
    assert response.status_code == 202 and response.json == {"status": "sent_if_registered"}
    assert emails_with_subject(email, RESET_SUBJECT) == []
    waiting = aws.client("sqs").get_queue_attributes(
        QueueUrl=notify.queue_url(), AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert waiting["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_failed_sms_for_a_phone_leaves_no_live_code(api, make_family):
    _, _, tokens = make_family()
    notify.use_notifier(FailingNotifier())
    assert api.post("/v1/account/phone", {"phone": "+12025550142",
                                          "current_password": STRONG_PASSWORD},
                    token=tokens["access_token"]).status_code == 202
    table = get_settings().table_prefix + "one-time-codes"
    assert aws.client("dynamodb").scan(TableName=table)["Items"] == []


# --- what never leaks -----------------------------------------------------------------------

def test_reset_emails_hold_no_six_digit_number_but_the_code_and_no_password():
    from chalicelib.core.notify import render_email

    reset = render_email("a@example.com", "password_reset", {
        "full_name": "Pat 123456", "code": "654321", "minutes": 10,
        "link": "https://app.kinlink.test/reset-password?token=acc_x.y"})
    for body in (reset.text, reset.html):
        assert re.findall(r"\b\d{6}\b", body.replace("Pat 123456", "")) == ["654321"]
        assert "never ask you for your password" in body
    changed = render_email("a@example.com", "password_changed",
                           {"full_name": "Pat", "changed_at": "2026-11-25T10:11:12Z"})
    for body in (changed.text, changed.html):
        assert not re.findall(r"\b\d{6}\b", body)
        assert "never ask you for your password" in body


def test_logs_hold_no_password_code_or_token_through_a_whole_reset(api, make_family):
    import io
    import logging

    from chalicelib.core.logs import JsonLineFormatter, logger

    email, old_password, tokens = make_family()
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(JsonLineFormatter())
    logger().addHandler(handler)
    try:
        forgot(api, email)
        token, code = reset_token(email), last_code(email)
        api.post(RESET, {"token": token, "new_password": WEAK_PASSWORD})
        api.post(RESET, {"token": token, "new_password": NEW_PASSWORD})
        api.post("/v1/account/password", {"current_password": old_password,
                                          "new_password": "x"}, token=tokens["access_token"])
    finally:
        logger().removeHandler(handler)
    lines = captured.getvalue()
    assert "password_reset" in lines
    for secret in (token, token.split(".", 1)[1], code, NEW_PASSWORD, WEAK_PASSWORD,
                   old_password):
        assert secret not in lines


def test_unverified_account_gets_no_reset_email(api):
    api.post("/v1/auth/signup", {"email": "notyet@example.com", "full_name": "Pat",
                                 "password": STRONG_PASSWORD})
    assert forgot(api, "notyet@example.com").json == {"status": "sent_if_registered"}
    assert emails_with_subject("notyet@example.com", RESET_SUBJECT) == []
