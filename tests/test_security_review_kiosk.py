"""Security review, finding 1 (kiosk PIN guessing from anywhere), the kiosk half of finding 2
(parallel PIN guesses) and "admins can unlock inmates" of finding 9 (api.md "Kiosks and
inmates").

The messaging ``world``'s client is the demo kiosk: every request carries its key unless a test
sends another (``X-Kiosk-Key: ""`` sends none).
"""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.accounts import passwords
from chalicelib.core import aws, clock
from chalicelib.facilities.seed import DEMO_INMATE_PIN, DEMO_KIOSK_KEY, seed_demo_facility
from chalicelib.facilities.store import Inmate, Kiosk
from tests.live_stack import post_json, running_stack, secret_checks  # noqa: F401
from tests.messaging_support import (DEMO_FACILITY_ID, ELENA, MARCUS, OTHER_KIOSK_KEY, _login,
                                     world)  # noqa: F401  (fixture)

NO_KEY = {"X-Kiosk-Key": ""}
WRONG_PIN = "000000"


def _problem(response, status: int, code: str) -> None:
    assert (response.status_code, (response.json or {}).get("code")) == (status, code), \
        response.json


def _issue_kiosk(world, label: str = "Housing unit B tablet", token: str | None = None) -> dict:
    response = world.api.post("/v1/staff/kiosks", {"label": label}, token=token or world.staff)
    assert response.status_code == 201, response.json
    return response.json


def _fail(world, times: int, number: str = "A1001", **kw) -> None:
    for _ in range(times):
        _problem(world.inmate_login(number, pin=WRONG_PIN, **kw), 401, "invalid_credentials")


# --- finding 1: the kiosk key ---------------------------------------------------------------

def test_f01_kiosk_sign_in_without_a_registered_key_is_refused(world):
    _problem(world.inmate_login(kiosk_key=""), 401, "kiosk_not_registered")
    _problem(world.inmate_login(kiosk_key="kio_made-up.not-a-real-key"), 401,
             "kiosk_not_registered")
    _problem(world.inmate_login(kiosk_key=DEMO_KIOSK_KEY + "x"), 401, "kiosk_not_registered")
    # The key goes with every request of the session, not only the sign-in.
    token = world.inmate_token()
    _problem(world.api.get("/v1/inmate/messages", token=token, headers=NO_KEY), 401,
             "kiosk_not_registered")
    refresh = world.inmate_login().json["refresh_token"]
    _problem(world.api.post("/v1/auth/refresh", {"refresh_token": refresh}, headers=NO_KEY),
             401, "kiosk_not_registered")
    assert world.api.get("/v1/inmate/messages", token=token).status_code == 200


def test_f01_another_facilitys_kiosk_key_is_refused(world):
    _problem(world.inmate_login(kiosk_key=OTHER_KIOSK_KEY), 401, "kiosk_not_registered")
    token = world.inmate_token()
    _problem(world.api.get("/v1/inmate/messages", token=token,
                           headers={"X-Kiosk-Key": OTHER_KIOSK_KEY}), 401,
             "kiosk_not_registered")


def test_f01_staff_issue_list_and_revoke_keys_and_a_revoked_kiosk_loses_its_sessions(world):
    issued = _issue_kiosk(world)
    key = issued["key"]
    assert key.startswith(issued["kiosk_id"] + ".")
    tablet = {"X-Kiosk-Key": key}
    signed_in = world.inmate_login(kiosk_key=key)
    assert signed_in.status_code == 200, signed_in.json
    token = signed_in.json["access_token"]
    assert world.api.get("/v1/inmate/messages", token=token, headers=tablet).status_code == 200
    # A session is bound to its kiosk: another registered kiosk's key does not carry it.
    _problem(world.api.get("/v1/inmate/messages", token=token), 401, "kiosk_not_registered")

    listed = world.api.get("/v1/staff/kiosks", token=world.staff).json["items"]
    assert {k["kiosk_id"] for k in listed} == {issued["kiosk_id"], "kio_demo"}
    assert all("key" not in k for k in listed), "a key is shown once"
    stored = aws.client("dynamodb").get_item(
        TableName=Kiosk.Meta.table_name,
        Key={"kiosk_id": {"S": issued["kiosk_id"]}})["Item"]
    assert key not in str(stored) and key.split(".")[1] not in str(stored)
    # Another facility's staff neither see nor revoke it.
    assert world.api.get("/v1/staff/kiosks", token=world.other_staff).json["items"][0][
        "kiosk_id"] == "kio_other"
    assert world.api.delete(f"/v1/staff/kiosks/{issued['kiosk_id']}",
                            token=world.other_staff).status_code == 404

    assert world.api.delete(f"/v1/staff/kiosks/{issued['kiosk_id']}",
                            token=world.staff).status_code == 204
    _problem(world.api.get("/v1/inmate/messages", token=token, headers=tablet), 401,
             "kiosk_not_registered")
    _problem(world.inmate_login(kiosk_key=key), 401, "kiosk_not_registered")
    [revoked] = [k for k in world.api.get("/v1/staff/kiosks", token=world.staff).json["items"]
                 if k["kiosk_id"] == issued["kiosk_id"]]
    assert revoked["revoked_at"]
    assert world.inmate_login().status_code == 200, "the other kiosks keep working"


def test_f01_admins_manage_kiosks_naming_the_facility(world):
    _problem(world.api.post("/v1/staff/kiosks", {"label": "x"}, token=world.admin), 400,
             "invalid_request")
    issued = world.api.post(f"/v1/staff/kiosks?facility_id={DEMO_FACILITY_ID}",
                            {"label": "Visiting room"}, token=world.admin)
    assert issued.status_code == 201 and issued.json["facility_id"] == DEMO_FACILITY_ID
    assert world.inmate_login(kiosk_key=issued.json["key"]).status_code == 200
    # Staff cannot reach another facility by naming it.
    assert world.api.get("/v1/staff/kiosks?facility_id=other-county",
                         token=world.staff).status_code == 403


# --- finding 1: PINs and failures -----------------------------------------------------------

def test_f01_a_pin_outside_six_to_twelve_digits_is_a_wrong_pin_and_counts(world):
    Inmate(MARCUS).update(actions=[Inmate.pin_hash.set(passwords.hash_password("4826"))])
    for _ in range(5):
        _problem(world.inmate_login(pin="4826"), 401, "invalid_credentials")
    locked = world.inmate_login(pin="4826")
    _problem(locked, 429, "account_locked")
    assert "staff" in locked.json["detail"] and "password" not in locked.json["detail"].lower()


def test_f01_twenty_failures_on_one_kiosk_refuse_it_for_the_rest_of_the_hour(world):
    tablet = _issue_kiosk(world)["key"]
    # Unknown numbers, one failure each: no inmate is locked, only the kiosk counts.
    for n in range(10):
        _problem(world.inmate_login(f"Z{n:04d}", pin=WRONG_PIN), 401, "invalid_credentials")
    clock.advance(30 * 60)
    assert world.inmate_login().status_code == 200, "a success is not a failure"
    for n in range(10, 20):
        _problem(world.inmate_login(f"Z{n:04d}", pin=WRONG_PIN), 401, "invalid_credentials")
    refused = world.inmate_login()
    _problem(refused, 429, "rate_limited")
    assert 1790 <= int(refused.headers["Retry-After"]) <= 1800, "the rest of the hour"
    assert "staff" in refused.json["detail"] and "password" not in refused.json["detail"].lower()
    assert world.inmate_login(kiosk_key=tablet).status_code == 200, "other kiosks are not refused"
    clock.advance(30 * 60)
    assert world.inmate_login().status_code == 200


def test_f01_the_third_lock_within_a_day_holds_until_staff_unlock(world):
    _fail(world, 5)
    _problem(world.inmate_login(), 429, "account_locked")
    clock.advance(15 * 60 + 1)
    _fail(world, 5)
    clock.advance(30 * 60 + 1)  # the second lock doubled
    _fail(world, 5)
    held = world.inmate_login()
    _problem(held, 403, "inmate_locked")
    assert "staff" in held.json["detail"] and "password" not in held.json["detail"].lower()
    clock.advance(3 * 24 * 3600)
    _problem(world.inmate_login(), 403, "inmate_locked")
    assert world.inmate_login("A1002").status_code == 200, "the hold is per inmate"

    staff, other_staff = (_login(world.api, "staff@demo-county.example"),  # days went by
                          _login(world.api, "staff@other-county.example"))
    assert world.api.post(f"/v1/staff/inmates/{MARCUS}/unlock",
                          token=other_staff).status_code == 404
    _problem(world.inmate_login(), 403, "inmate_locked")
    assert world.api.post(f"/v1/staff/inmates/{MARCUS}/unlock", token=staff).status_code == 204
    assert world.inmate_login().status_code == 200


def test_f01_the_right_pin_on_the_attempt_that_would_hold_is_not_held(world):
    _fail(world, 5)
    clock.advance(15 * 60 + 1)
    _fail(world, 5)
    clock.advance(30 * 60 + 1)
    _fail(world, 4)
    assert world.inmate_login().status_code == 200, "its reserved slot was the last one"
    _fail(world, 4)
    assert world.inmate_login().status_code == 200, "a success starts the count again"


def test_f01_blank_inmate_number_is_a_400(world):
    _problem(world.inmate_login("   "), 400, "invalid_request")


# --- finding 1: what staff do -----------------------------------------------------------------

def test_f01_one_time_pin_is_replaced_at_the_next_sign_in(world):
    before = world.inmate_token()
    issued = world.api.post(f"/v1/staff/inmates/{MARCUS}/pin", token=world.staff)
    assert issued.status_code == 200
    one_time = issued.json["pin"]
    assert one_time.isdigit() and 6 <= len(one_time) <= 12
    _problem(world.api.get("/v1/inmate/messages", token=before), 401, "invalid_token")
    _problem(world.inmate_login(pin=DEMO_INMATE_PIN), 401, "invalid_credentials")

    signed_in = world.inmate_login(pin=one_time)
    assert signed_in.status_code == 200 and signed_in.json["pin_change_required"] is True
    change_token = signed_in.json["access_token"]
    assert world.api.get("/v1/inmate/messages", token=change_token).status_code == 403
    _problem(world.api.post("/v1/inmate/pin", {"new_pin": "1234"}, token=change_token), 400,
             "invalid_request")
    _problem(world.api.post("/v1/inmate/pin", {"new_pin": "24681357"}, token=change_token,
                            headers=NO_KEY), 401, "kiosk_not_registered")
    changed = world.api.post("/v1/inmate/pin", {"new_pin": "24681357"}, token=change_token)
    assert changed.status_code == 200 and "pin_change_required" not in changed.json
    assert world.api.get("/v1/inmate/messages",
                         token=changed.json["access_token"]).status_code == 200
    _problem(world.api.post("/v1/inmate/pin", {"new_pin": "97531864"}, token=change_token), 401,
             "invalid_token")
    _problem(world.inmate_login(pin=one_time), 401, "invalid_credentials")
    again = world.inmate_login(pin="24681357")
    assert again.status_code == 200 and "pin_change_required" not in again.json
    assert world.api.post(f"/v1/staff/inmates/{MARCUS}/pin",
                          token=world.other_staff).status_code == 404


def test_f01_staff_end_every_kiosk_session_of_an_inmate(world):
    first, second = world.inmate_login().json, world.inmate_login().json
    elena = world.inmate_token("A1002")
    assert world.api.post(f"/v1/staff/inmates/{MARCUS}/sessions/revoke",
                          token=world.other_staff).status_code == 404
    assert world.api.post(f"/v1/staff/inmates/{MARCUS}/sessions/revoke",
                          token=world.staff).status_code == 204
    for tokens in (first, second):
        _problem(world.api.get("/v1/inmate/messages", token=tokens["access_token"]), 401,
                 "invalid_token")
        _problem(world.api.post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}),
                 401, "invalid_token")
    assert world.api.get("/v1/inmate/messages", token=elena).status_code == 200
    assert world.inmate_login().status_code == 200, "the inmate signs in again"


# --- finding 9: admins unlock inmates --------------------------------------------------------

def test_f09_an_admin_unlocks_an_inmate_naming_the_facility(world, capsys):
    _fail(world, 5, "A1002")
    _problem(world.inmate_login("A1002"), 429, "account_locked")
    _problem(world.api.post(f"/v1/staff/inmates/{ELENA}/unlock", token=world.admin), 400,
             "invalid_request")
    assert world.api.post(f"/v1/staff/inmates/{ELENA}/unlock?facility_id=other-county",
                          token=world.admin).status_code == 404
    capsys.readouterr()
    assert world.api.post(f"/v1/staff/inmates/{ELENA}/unlock?facility_id={DEMO_FACILITY_ID}",
                          token=world.admin).status_code == 204
    assert world.inmate_login("A1002").status_code == 200
    admin_id = world.api.get("/v1/account", token=world.admin).json["account_id"]
    [logged] = [json.loads(line) for line in capsys.readouterr().out.splitlines()
                if '"inmate_unlocked"' in line]
    assert (logged["inmate_id"], logged["by"], logged["by_role"]) == (ELENA, admin_id, "admin")


# --- finding 2: parallel PIN guesses over HTTP ------------------------------------------------

@pytest.mark.live
def test_f02_twelve_parallel_pin_guesses_reach_the_pin_check_at_most_five_times(
        aws_state, secret_checks):
    with running_stack() as base_url:
        seed_demo_facility()
        guesses = [f"{n:06d}" for n in range(100000, 100012)]
        start = threading.Barrier(len(guesses))

        def guess(pin: str):
            start.wait()
            return post_json(base_url, "/v1/inmate/login",
                             {"facility_id": DEMO_FACILITY_ID, "inmate_number": "A1001",
                              "pin": pin}, headers={"X-Kiosk-Key": DEMO_KIOSK_KEY})

        with ThreadPoolExecutor(len(guesses)) as pool:
            results = list(pool.map(guess, guesses))
        right = post_json(base_url, "/v1/inmate/login",
                          {"facility_id": DEMO_FACILITY_ID, "inmate_number": "A1001",
                           "pin": DEMO_INMATE_PIN}, headers={"X-Kiosk-Key": DEMO_KIOSK_KEY})

    evaluated = [pin for pin in secret_checks if pin in guesses]
    assert len(evaluated) <= 5
    statuses = [status for status, _ in results]
    assert statuses.count(401) == len(evaluated)
    assert statuses.count(429) == len(guesses) - len(evaluated)
    assert {body["code"] for status, body in results if status == 429} == {"account_locked"}
    assert right[0] == 429 and right[1]["code"] == "account_locked", "the lock holds"
    print(f"\nkiosk: {len(evaluated)} of {len(guesses)} parallel PIN guesses reached the PIN check")
