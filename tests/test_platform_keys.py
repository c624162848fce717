"""Call platform keys (api.md "Operating a facility"): an admin issues a key (shown once,
stored as a digest), lists them without secrets and revokes them; ``platform_by_key`` is what
the telephony endpoints will call, and it refuses revoked, unknown and malformed keys."""
from __future__ import annotations

import hashlib

import pytest

from chalicelib.core.errors import Unauthenticated
from chalicelib.facilities import platform_by_key
from chalicelib.facilities.seed import DEMO_FACILITY_ID, DEMO_PLATFORM_KEY, seed_demo_facility
from chalicelib.facilities.store import PlatformKey
from tests.mfa_helpers import create_staff, kms_key, next_step, staff_sign_in  # noqa: F401
from tests.security_support import all_items

KEYS = f"/v1/admin/facilities/{DEMO_FACILITY_ID}/platform-keys"


def issued_here(listed) -> list[dict]:
    """The keys a test issued: the demo facility's seed holds the demo platform's key too."""
    return [item for item in listed.json["items"]
            if item["key_id"] != DEMO_PLATFORM_KEY.split(".", 1)[0]]


@pytest.fixture
def admin(api, kms_key):
    seed_demo_facility()
    create_staff("admin@demo.example", "Ada Admin", role="admin")
    return staff_sign_in(api, "admin@demo.example")["access_token"]


def test_a_key_is_shown_once_stored_as_a_digest_and_identifies_its_facility(api, admin):
    issued = api.post(KEYS, {"label": "Securus trunk 1"}, token=admin)
    assert issued.status_code == 201, issued.json
    key, key_id = issued.json["key"], issued.json["key_id"]
    assert key.startswith(key_id + ".") and len(key.split(".", 1)[1]) >= 43  # 256 bits
    assert issued.json["label"] == "Securus trunk 1" and issued.json["revoked_at"] is None
    stored = repr(all_items()[PlatformKey.Meta.table_name])
    assert key.split(".", 1)[1] not in stored
    assert hashlib.sha256(key.encode()).hexdigest() in stored
    listed = api.get(KEYS, token=admin)
    assert listed.status_code == 200
    [item] = issued_here(listed)
    assert item["key_id"] == key_id and "key" not in item and "key_digest" not in item
    record = platform_by_key(key)
    assert (record.key_id, record.facility_id) == (key_id, DEMO_FACILITY_ID)


def test_revoked_unknown_and_malformed_keys_are_refused_with_one_answer(api, admin):
    key = api.post(KEYS, {}, token=admin).json["key"]
    key_id = key.split(".", 1)[0]
    refused = [None, "", "plk_", key_id, key_id + ".", key[:-1] + ("A" if key[-1] != "A" else "B"),
               "plk_unknown." + key.split(".", 1)[1], "kio_demo." + key.split(".", 1)[1],
               key + "x" * 200]
    for bad in refused:
        with pytest.raises(Unauthenticated) as caught:
            platform_by_key(bad)
        assert caught.value.code == "platform_not_registered", bad
    assert api.delete(f"{KEYS}/{key_id}", token=admin).status_code == 204
    with pytest.raises(Unauthenticated):
        platform_by_key(key)
    assert api.get(KEYS, token=admin).json["items"][0]["revoked_at"] is not None
    assert api.delete(f"{KEYS}/{key_id}", token=admin).status_code == 204  # again: no change


def test_revoking_needs_a_key_of_that_facility_and_keys_list_newest_first(api, admin):
    first = api.post(KEYS, {"label": "one"}, token=admin).json
    second = api.post(KEYS, {"label": "two"}, token=admin).json
    assert [k["label"] for k in issued_here(api.get(KEYS, token=admin))] == ["two", "one"]
    page = api.get(KEYS + "?limit=1", token=admin).json
    assert len(page["items"]) == 1 and page["next_cursor"]
    assert api.delete(f"{KEYS}/plk_nope", token=admin).json["code"] == "platform_key_not_found"
    other = "/v1/admin/facilities/other-county/platform-keys"
    assert api.delete(f"{other}/{first['key_id']}", token=admin).status_code == 404
    assert platform_by_key(second["key"]).revoked_at is None


def test_unknown_facility_is_404(api, admin):
    for method in ("POST", "GET"):
        response = api.call(method, "/v1/admin/facilities/no-such/platform-keys",
                            {} if method == "POST" else None, token=admin)
        assert response.status_code == 404 and response.json["code"] == "not_found"


def test_only_admins_issue_list_and_revoke(api, admin, make_family):
    key = api.post(KEYS, {}, token=admin).json["key"]
    create_staff("staff@demo-county.example", facility_id=DEMO_FACILITY_ID)
    next_step()
    staff = staff_sign_in(api, "staff@demo-county.example")["access_token"]
    family = make_family()[2]["access_token"]
    path = f"{KEYS}/{key.split('.', 1)[0]}"
    for token, status in ((staff, 403), (family, 403), (None, 401)):
        assert api.post(KEYS, {}, token=token).status_code == status
        assert api.get(KEYS, token=token).status_code == status
        assert api.delete(path, token=token).status_code == status
    assert platform_by_key(key).revoked_at is None
    assert len(issued_here(api.get(KEYS, token=admin))) == 1
