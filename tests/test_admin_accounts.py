"""An admin finds accounts by email and disables and enables them (api.md "Account"): the
lookup reads the email's claim item (no Scan), and every change is written to the target's
activity with the admin's id and logged."""
from __future__ import annotations

import json

import pytest

from chalicelib.facilities.seed import seed_demo_facility
from tests.fault_support import dynamodb_calls  # noqa: F401  (fixture)
from tests.conftest import STRONG_PASSWORD
from tests.mfa_helpers import create_staff, kms_key, next_step, staff_sign_in  # noqa: F401


@pytest.fixture
def admin(api, kms_key):
    seed_demo_facility()
    create_staff("admin@demo.example", "Ada Admin", role="admin")
    return staff_sign_in(api, "admin@demo.example")["access_token"]


def test_find_by_email_is_case_insensitive_and_never_scans(api, admin, make_family,
                                                            dynamodb_calls):
    make_family("pat.family@example.com")
    dynamodb_calls.clear()
    found = api.get("/v1/admin/accounts?email=%20PAT.FAMILY@example.COM%20", token=admin)
    assert found.status_code == 200
    [item] = found.json["items"]
    assert item["email"] == "pat.family@example.com" and item["role"] == "family"
    assert item["disabled"] is False and "password_hash" not in item
    assert "Scan" not in dynamodb_calls
    none = api.get("/v1/admin/accounts?email=nobody@example.com", token=admin)
    assert none.status_code == 200 and none.json == {"items": []}
    assert "Scan" not in dynamodb_calls


def test_enable_lets_a_disabled_account_sign_in_again_and_is_audited(api, admin, make_family,
                                                                      capsys):
    email, _, _ = make_family()
    account_id = api.get(f"/v1/admin/accounts?email={email}", token=admin).json["items"][0][
        "account_id"]
    admin_id = api.get("/v1/account", token=admin).json["account_id"]
    assert api.post(f"/v1/admin/accounts/{account_id}/disable", token=admin).status_code == 204
    refused = api.post("/v1/auth/login", {"email": email, "password": STRONG_PASSWORD})
    assert refused.status_code == 403 and refused.json["code"] == "account_disabled"
    assert api.get(f"/v1/admin/accounts?email={email}", token=admin).json["items"][0]["disabled"]
    capsys.readouterr()
    assert api.post(f"/v1/admin/accounts/{account_id}/enable", token=admin).status_code == 204
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()
              if line.startswith("{")]
    assert any(entry["event"] == "account_enabled" and entry["by"] == admin_id
               and entry["account_id"] == account_id for entry in logged)
    tokens = api.post("/v1/auth/login", {"email": email, "password": STRONG_PASSWORD})
    assert tokens.status_code == 200
    activity = api.get("/v1/account/activity?limit=50",
                       token=tokens.json["access_token"]).json["items"]
    enabled = [event for event in activity if event["type"] == "account_enabled"]
    assert len(enabled) == 1 and enabled[0]["detail"]["by"] == admin_id
    assert any(event["type"] == "account_disabled" for event in activity)
    # Enabling an enabled account changes nothing; an unknown one is 404.
    assert api.post(f"/v1/admin/accounts/{account_id}/enable", token=admin).status_code == 204
    assert api.get("/v1/account", token=tokens.json["access_token"]).status_code == 200
    assert api.post("/v1/admin/accounts/acc_nope/enable", token=admin).status_code == 404


def test_only_admins_find_and_enable(api, admin, make_family):
    email, _, tokens = make_family()
    create_staff("staff@demo-county.example", facility_id="demo-county")
    next_step()
    staff = staff_sign_in(api, "staff@demo-county.example")["access_token"]
    account_id = api.get("/v1/account", token=tokens["access_token"]).json["account_id"]
    for token, status in ((staff, 403), (tokens["access_token"], 403), (None, 401)):
        assert api.get(f"/v1/admin/accounts?email={email}", token=token).status_code == status
        assert api.post(f"/v1/admin/accounts/{account_id}/enable",
                        token=token).status_code == status
