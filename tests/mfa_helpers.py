"""Helpers shared by the 2FA, sessions and activity tests."""
from __future__ import annotations

import pyotp
import pytest

from chalicelib.accounts.seed import create_staff_account
from chalicelib.core import clock, kms
from tests.conftest import STRONG_PASSWORD

# Every staff and admin account of the tests is enrolled with this TOTP secret (api.md "Roles":
# they must sign in with a code).
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

FIREFOX_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 "
                   "Firefox/133.0")
CHROME_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
              "Gecko) Chrome/131.0.0.0 Safari/537.36")
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1")


@pytest.fixture
def kms_key(api):
    """The TOTP key exists on the emulator (as ``make run`` would create it)."""
    return kms.ensure_key()


def totp_code(secret: str, steps_from_now: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now() + 30 * steps_from_now)


def next_step() -> None:
    """Move to the next 30-second step, so a fresh code is not a replay of the last one."""
    clock.advance(30)


def enrol(api, access_token: str, password: str = STRONG_PASSWORD) -> tuple[str, list[str]]:
    """Turn TOTP on for the signed-in account (whose password is ``password``); returns
    (secret, recovery codes)."""
    setup = api.post("/v1/account/mfa/totp/setup", {"current_password": password},
                     token=access_token)
    assert setup.status_code == 200, setup.json
    secret = setup.json["secret"]
    confirmed = api.post("/v1/account/mfa/totp/confirm", {"code": totp_code(secret)},
                         token=access_token)
    assert confirmed.status_code == 200, confirmed.json
    next_step()
    return secret, confirmed.json["recovery_codes"]


def challenge(api, email: str, password: str, **login_fields) -> dict:
    response = api.post("/v1/auth/login", {"email": email, "password": password, **login_fields})
    assert response.status_code == 200, response.json
    assert response.json["mfa_required"] is True, response.json
    return response.json


def answer(api, challenge_id: str, method: str, code: str, **fields):
    return api.post("/v1/auth/mfa", {"challenge_id": challenge_id, "method": method,
                                     "code": code, **fields})


def activity_types(api, access_token: str) -> list[str]:
    response = api.get("/v1/account/activity?limit=100", token=access_token)
    assert response.status_code == 200, response.json
    return [event["type"] for event in response.json["items"]]


def create_staff(email: str, full_name: str = "Sam Staff", password: str = STRONG_PASSWORD,
                 role: str = "staff", facility_id: str | None = None):
    """A staff or admin account enrolled in TOTP with ``STAFF_TOTP_SECRET``."""
    return create_staff_account(email, full_name, password, role=role, facility_id=facility_id,
                                totp_secret=STAFF_TOTP_SECRET)


def staff_sign_in(api, email: str, password: str = STRONG_PASSWORD) -> dict:
    """The tokens of an account made by ``create_staff``: password, then the TOTP step.  A
    second sign-in within one 30-second step would replay its code: the clock moves on."""
    for _ in range(2):
        pending = challenge(api, email, password)
        done = answer(api, pending["challenge_id"], "totp", totp_code(STAFF_TOTP_SECRET))
        if done.status_code == 200:
            return done.json
        assert done.json["code"] == "totp_code_reused", done.json
        next_step()
    raise AssertionError(f"{email} could not sign in with a TOTP code")
