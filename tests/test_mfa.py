"""Two-factor authentication (issue 3; api.md "Accounts and sign-in" and "Account")."""
from __future__ import annotations

import pytest

from chalicelib.accounts import otp
from chalicelib.core import aws, clock
from chalicelib.core.store import MODELS
from tests.password_helpers import reset_token
from tests.mfa_helpers import (CHROME_MAC, activity_types, answer, challenge, enrol,  # noqa: F401
                               kms_key, next_step, totp_code)

pytestmark = pytest.mark.usefixtures("kms_key")


def test_setup_gives_secret_uri_and_qr_and_2fa_is_off_until_confirmed(api, make_family):
    email, password, tokens = make_family()
    token = tokens["access_token"]
    setup = api.post("/v1/account/mfa/totp/setup", {"current_password": password}, token=token)
    assert setup.status_code == 200
    secret = setup.json["secret"]
    assert len(secret) >= 32
    assert setup.json["otpauth_uri"].startswith("otpauth://totp/Kinlink:")
    assert f"secret={secret}" in setup.json["otpauth_uri"]
    assert setup.json["qr_svg_data_uri"].startswith("data:image/svg+xml")
    assert api.get("/v1/account", token=token).json["mfa"] == {"totp": False,
                                                              "recovery_codes_left": 0}
    wrong = api.post("/v1/account/mfa/totp/confirm", {"code": "000000"}, token=token)
    assert wrong.status_code == 400 and wrong.json["code"] == "invalid_or_expired_code"

    confirmed = api.post("/v1/account/mfa/totp/confirm", {"code": totp_code(secret)}, token=token)
    assert confirmed.status_code == 200
    codes = confirmed.json["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    assert api.get("/v1/account", token=token).json["mfa"] == {"totp": True,
                                                              "recovery_codes_left": 10}
    again = api.post("/v1/account/mfa/totp/setup", {"current_password": password}, token=token)
    assert again.status_code == 409 and again.json["code"] == "mfa_already_enabled"
    assert "mfa_enabled" in activity_types(api, token)


def test_confirm_without_setup_is_refused(api, make_family):
    _, _, tokens = make_family()
    response = api.post("/v1/account/mfa/totp/confirm", {"code": "123456"},
                        token=tokens["access_token"])
    assert response.status_code == 409 and response.json["code"] == "mfa_not_pending"


def test_totp_secret_and_recovery_codes_are_not_stored_in_clear(api, make_family):
    _, _, tokens = make_family()
    secret, codes = enrol(api, tokens["access_token"])
    dynamodb = aws.client("dynamodb")
    dump = ""
    for model in MODELS:
        dump += str(dynamodb.scan(TableName=model.Meta.table_name)["Items"])
    assert secret not in dump and secret.lower() not in dump
    for code in codes:
        assert code not in dump and otp.normalize_recovery_code(code) not in dump


def test_login_with_2fa_asks_for_a_second_factor_and_totp_completes_it(api, make_family):
    email, password, tokens = make_family()
    secret, _ = enrol(api, tokens["access_token"])
    pending = challenge(api, email, password)
    assert pending["methods"] == ["totp", "recovery_code"]
    assert "access_token" not in pending
    done = answer(api, pending["challenge_id"], "totp", totp_code(secret))
    assert done.status_code == 200, done.json
    assert "device_token" not in done.json
    profile = api.get("/v1/account", token=done.json["access_token"])
    assert profile.status_code == 200 and profile.json["mfa"]["totp"] is True


def test_replayed_totp_step_is_refused_and_logged(api, make_family):
    email, password, tokens = make_family()
    secret, _ = enrol(api, tokens["access_token"])
    code = totp_code(secret)
    first = answer(api, challenge(api, email, password)["challenge_id"], "totp", code)
    assert first.status_code == 200
    replay = answer(api, challenge(api, email, password)["challenge_id"], "totp", code)
    assert replay.status_code == 401 and replay.json["code"] == "totp_code_reused"
    older = answer(api, challenge(api, email, password)["challenge_id"], "totp",
                   totp_code(secret, -1))
    assert older.status_code == 401, "a step older than the last used one is a replay too"
    assert "totp_replay_refused" in activity_types(api, first.json["access_token"])


def test_totp_accepts_one_step_either_side_and_no_more(api, make_family):
    email, password, tokens = make_family()
    secret, _ = enrol(api, tokens["access_token"])
    for steps in (-2, 2):
        far = answer(api, challenge(api, email, password)["challenge_id"], "totp",
                     totp_code(secret, steps))
        assert far.status_code == 401 and far.json["code"] == "invalid_second_factor"
    next_step()  # the step before now must not be the one used to confirm the enrolment
    for steps in (-1, 0, 1):  # oldest first: each is newer than the last one used
        near = answer(api, challenge(api, email, password)["challenge_id"], "totp",
                      totp_code(secret, steps))
        assert near.status_code == 200, (steps, near.json)


def test_matching_step_is_pure_and_windowed():
    secret = otp.new_secret()
    now = 1_800_000_000.0
    import pyotp

    totp = pyotp.TOTP(secret)
    step = otp.step_at(now)
    assert otp.matching_step(secret, totp.at(now), now) == step
    assert otp.matching_step(secret, totp.at(now - 30), now) == step - 1
    assert otp.matching_step(secret, totp.at(now + 30), now) == step + 1
    assert otp.matching_step(secret, totp.at(now + 90), now) is None
    assert otp.matching_step(secret, "12a456", now) is None
    assert otp.matching_step(secret, "", now) is None


def test_recovery_code_works_once_and_its_reuse_is_refused(api, make_family):
    email, password, tokens = make_family()
    _, codes = enrol(api, tokens["access_token"])
    used = codes[0]
    ok = answer(api, challenge(api, email, password)["challenge_id"], "recovery_code",
                used.upper().replace("-", " "))
    assert ok.status_code == 200, "case, spaces and hyphens do not matter"
    token = ok.json["access_token"]
    assert api.get("/v1/account", token=token).json["mfa"]["recovery_codes_left"] == 9
    reuse = answer(api, challenge(api, email, password)["challenge_id"], "recovery_code", used)
    assert reuse.status_code == 401 and reuse.json["code"] == "recovery_code_used"
    unknown = answer(api, challenge(api, email, password)["challenge_id"], "recovery_code",
                     "aaaaa-bbbbb")
    assert unknown.status_code == 401 and unknown.json["code"] == "invalid_second_factor"
    events = api.get("/v1/account/activity?limit=100", token=token).json["items"]
    outcomes = [e["outcome"] for e in events if e["type"] == "recovery_code_used"]
    assert outcomes == ["failure", "success"]  # newest first: the reuse, then the use


def test_wrong_second_factors_count_toward_the_lockout(api, make_family):
    email, password, tokens = make_family()
    secret, _ = enrol(api, tokens["access_token"])
    pending = challenge(api, email, password)
    for _ in range(3):
        assert answer(api, pending["challenge_id"], "totp", "000000").status_code == 401
    # The right password does not refill the budget for guessing the second factor.
    pending = challenge(api, email, password)
    assert answer(api, pending["challenge_id"], "totp", "000000").status_code == 401
    locking = answer(api, pending["challenge_id"], "totp", "000000")
    assert locking.status_code == 401
    locked = answer(api, pending["challenge_id"], "totp", totp_code(secret))
    assert locked.status_code == 429 and locked.json["code"] == "account_locked"
    assert int(locked.headers["Retry-After"]) > 0
    login = api.post("/v1/auth/login", {"email": email, "password": password})
    assert login.status_code == 429
    types = activity_types(api, tokens["access_token"])
    assert types.count("mfa_challenge_failed") == 5 and "account_locked" in types


def test_a_successful_second_factor_clears_earlier_failures(api, make_family):
    email, password, tokens = make_family()
    secret, _ = enrol(api, tokens["access_token"])
    pending = challenge(api, email, password)
    for _ in range(4):
        answer(api, pending["challenge_id"], "totp", "000000")
    assert answer(api, pending["challenge_id"], "totp", totp_code(secret)).status_code == 200
    pending = challenge(api, email, password)
    assert answer(api, pending["challenge_id"], "totp", "000000").status_code == 401, \
        "one failure after a success does not lock"


def test_challenge_is_single_use_short_lived_and_bound_to_the_device(api, make_family):
    email, password, tokens = make_family()
    secret, _ = enrol(api, tokens["access_token"])
    pending = challenge(api, email, password)
    assert answer(api, pending["challenge_id"], "totp", totp_code(secret)).status_code == 200
    next_step()
    used = answer(api, pending["challenge_id"], "totp", totp_code(secret))
    assert used.status_code == 401 and used.json["code"] == "invalid_challenge"

    elsewhere = challenge(api, email, password)
    other_device = api.post("/v1/auth/mfa", {"challenge_id": elsewhere["challenge_id"],
                                             "method": "totp", "code": totp_code(secret)},
                            headers={"User-Agent": CHROME_MAC})
    assert other_device.status_code == 401 and other_device.json["code"] == "invalid_challenge"

    late = challenge(api, email, password)
    clock.advance(5 * 60 + 1)
    expired = answer(api, late["challenge_id"], "totp", totp_code(secret))
    assert expired.status_code == 401 and expired.json["code"] == "invalid_challenge"
    unknown = answer(api, "mfa_nope", "totp", totp_code(secret))
    assert unknown.status_code == 401 and unknown.json["code"] == "invalid_challenge"
    bad_method = answer(api, late["challenge_id"], "carrier_pigeon", "1")
    assert bad_method.status_code == 400


def test_remember_device_skips_the_second_factor_for_30_days(api, make_family):
    email, password, tokens = make_family()
    secret, _ = enrol(api, tokens["access_token"])
    done = answer(api, challenge(api, email, password)["challenge_id"], "totp", totp_code(secret),
                  remember_device=True)
    device_token = done.json["device_token"]
    direct = api.post("/v1/auth/login", {"email": email, "password": password,
                                         "device_token": device_token})
    assert direct.status_code == 200 and "access_token" in direct.json
    forged = api.post("/v1/auth/login", {"email": email, "password": password,
                                         "device_token": device_token[:-2] + "xx"})
    assert forged.json.get("mfa_required") is True
    clock.advance(30 * 24 * 3600 + 1)
    stale = api.post("/v1/auth/login", {"email": email, "password": password,
                                        "device_token": device_token})
    assert stale.json.get("mfa_required") is True


def test_a_password_reset_keeps_2fa_and_kills_remembered_devices(api, make_family):
    email, password, tokens = make_family()
    secret, _ = enrol(api, tokens["access_token"])
    done = answer(api, challenge(api, email, password)["challenge_id"], "totp", totp_code(secret),
                  remember_device=True)
    new_password = "glacier violin parsnip 2031"
    assert api.post("/v1/auth/password/forgot", {"email": email}).status_code == 202
    reset = api.post("/v1/auth/password/reset", {"token": reset_token(email),
                                                 "new_password": new_password})
    assert reset.status_code == 200
    after = api.post("/v1/auth/login", {"email": email, "password": new_password,
                                        "device_token": done.json["device_token"]})
    assert after.status_code == 200 and after.json.get("mfa_required") is True
    plain = api.post("/v1/auth/login", {"email": email, "password": new_password})
    assert plain.json.get("mfa_required") is True and "access_token" not in plain.json
    next_step()
    finished = answer(api, plain.json["challenge_id"], "totp", totp_code(secret))
    assert finished.status_code == 200


def test_a_password_change_kills_remembered_devices(api, make_family):
    email, password, tokens = make_family()
    secret, _ = enrol(api, tokens["access_token"])
    done = answer(api, challenge(api, email, password)["challenge_id"], "totp", totp_code(secret),
                  remember_device=True)
    changed = api.post("/v1/account/password", {"current_password": password,
                                                "new_password": "glacier violin parsnip 2031"},
                       token=tokens["access_token"])
    assert changed.status_code == 200
    after = api.post("/v1/auth/login", {"email": email, "password": "glacier violin parsnip 2031",
                                        "device_token": done.json["device_token"]})
    assert after.json.get("mfa_required") is True


def test_disabling_2fa_needs_the_password_and_a_current_code(api, make_family):
    email, password, tokens = make_family()
    token = tokens["access_token"]
    secret, _ = enrol(api, token)
    wrong_password = api.delete("/v1/account/mfa/totp",
                                {"password": "not my password at all", "code": totp_code(secret)},
                                token=token)
    assert wrong_password.status_code == 403
    assert wrong_password.json["code"] == "invalid_credentials"
    wrong_code = api.delete("/v1/account/mfa/totp", {"password": password, "code": "000000"},
                            token=token)
    assert wrong_code.status_code == 403
    missing = api.delete("/v1/account/mfa/totp", {"password": password}, token=token)
    assert missing.status_code == 400
    next_step()
    ok = api.delete("/v1/account/mfa/totp", {"password": password, "code": totp_code(secret)},
                    token=token)
    assert ok.status_code == 204
    assert api.get("/v1/account", token=token).json["mfa"] == {"totp": False,
                                                              "recovery_codes_left": 0}
    login = api.post("/v1/auth/login", {"email": email, "password": password})
    assert "access_token" in login.json
    types = activity_types(api, token)
    assert "mfa_disabled" in types and types.count("mfa_challenge_failed") == 2
    again = api.delete("/v1/account/mfa/totp", {"password": password, "code": "123456"},
                       token=token)
    assert again.status_code == 409 and again.json["code"] == "mfa_not_enabled"
