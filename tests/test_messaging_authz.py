"""Authorization matrix (issue 5 §7): every messaging endpoint, called by every role and with
another party's object ids; only the intended caller succeeds (403 for the wrong role, 404 for
someone else's object, 401 without a token)."""
from __future__ import annotations

from chalicelib.facilities.store import Inmate
from tests.messaging_support import DEMO_FACILITY_ID, ELENA, MARCUS, new_key, world  # noqa: F401

ROLES = ("anonymous", "other_family", "staff_other", "admin", "other_inmate", "inmate",
         "staff", "owner")


def _tokens(world, owner):
    return {"anonymous": None, "owner": owner.token, "other_family": world.family().token,
            "staff": world.staff, "staff_other": world.other_staff, "admin": world.admin,
            "inmate": world.inmate_token("A1001"), "other_inmate": world.inmate_token("A1002")}


def _expect(allowed: dict[str, int], *, private: tuple[str, ...] = ()):
    """The status each role gets: ``allowed`` roles succeed, ``private`` ones (the right role
    holding someone else's id) get 404, every other role 403 and no token 401."""
    expected = {role: 403 for role in ROLES}
    expected["anonymous"] = 401
    expected.update({role: 404 for role in private})
    expected.update(allowed)
    return expected


def test_every_messaging_endpoint_admits_only_its_intended_caller(world):
    owner = world.family(stamps_at_demo=5)
    tokens = _tokens(world, owner)
    contact_id = world.contact(owner)
    pending_contact = world.contact(owner, ELENA, approve=False)
    message_id = world.send(owner, contact_id, "for review").json["message_id"]
    delivered_id = world.send(owner, contact_id, "delivered").json["message_id"]
    assert world.decide(delivered_id, "approve").status_code == 200

    cases = [
        ("POST", "/v1/contacts", {"inmate_id": MARCUS},
         _expect({"owner": 409, "other_family": 201})),
        ("GET", "/v1/contacts", None, _expect({"owner": 200, "other_family": 200})),
        ("GET", "/v1/staff/contacts", None, _expect({"staff": 200, "staff_other": 200})),
        ("POST", f"/v1/staff/contacts/{pending_contact}/decision", {"decision": "approve"},
         _expect({"staff": 200}, private=("staff_other",))),
        ("POST", f"/v1/contacts/{contact_id}/messages", {"body": "hello"},
         _expect({"owner": 201}, private=("other_family",))),
        ("GET", f"/v1/contacts/{contact_id}/messages", None,
         _expect({"owner": 200}, private=("other_family",))),
        ("GET", "/v1/staff/messages", None, _expect({"staff": 200, "staff_other": 200})),
        ("GET", f"/v1/staff/messages/{message_id}", None,
         _expect({"staff": 200}, private=("staff_other",))),
        ("POST", f"/v1/staff/messages/{message_id}/decision", {"decision": "approve"},
         _expect({"staff": 200}, private=("staff_other",))),
        ("GET", "/v1/inmate/contacts", None, _expect({"inmate": 200, "other_inmate": 200})),
        ("GET", "/v1/inmate/messages", None, _expect({"inmate": 200, "other_inmate": 200})),
        ("GET", f"/v1/inmate/messages/{delivered_id}", None,
         _expect({"inmate": 200}, private=("other_inmate",))),
        ("POST", "/v1/inmate/messages", {"contact_id": contact_id, "body": "reply"},
         _expect({"inmate": 201}, private=("other_inmate",))),
    ]
    for method, path, body, expected in cases:
        for role in ROLES:  # the intended callers come last: their success may change state
            # Sends require an Idempotency-Key; other endpoints ignore it.
            response = world.api.call(method, path, body, token=tokens[role], headers=new_key())
            assert response.status_code == expected[role], (method, path, role, response.json)

    # Where every caller of the right role succeeds, each sees only their own.
    def listed(path, role, key):
        return {item[key] for item in world.api.get(path, token=tokens[role]).json["items"]}

    assert contact_id in listed("/v1/contacts", "owner", "contact_id")
    assert contact_id not in listed("/v1/contacts", "other_family", "contact_id")
    assert listed("/v1/staff/messages?status=delivered", "staff_other", "message_id") == set()
    assert listed("/v1/staff/contacts?status=approved", "staff_other", "contact_id") == set()
    assert delivered_id in listed("/v1/inmate/messages", "inmate", "message_id")
    assert listed("/v1/inmate/messages", "other_inmate", "message_id") == set()
    assert contact_id not in listed("/v1/inmate/contacts", "other_inmate", "contact_id")


def test_kiosk_logout_is_for_inmate_sessions_only(world):
    owner = world.family()
    for role, token in _tokens(world, owner).items():
        response = world.api.post("/v1/inmate/logout", token=token)
        expected = 204 if role in ("inmate", "other_inmate") else 401 if token is None else 403
        assert response.status_code == expected, role


def test_kiosk_and_inmate_staff_endpoints_admit_only_staff_of_the_facility(world):
    """Staff act in their own facility (another facility's kiosk or inmate is 404); admins name
    the facility (400 without it); a PIN-change endpoint takes no ordinary token."""
    tokens = _tokens(world, world.family())
    third = "inm_A1003"  # whose sessions and PIN the staff calls end and replace
    Inmate(third, facility_id=DEMO_FACILITY_ID, inmate_number="A1003", full_name="Third Person",
           search_key="person third").save()
    kiosk_id = world.api.post("/v1/staff/kiosks", {"label": "Tablet"},
                              token=world.staff).json["kiosk_id"]
    at_demo = "?facility_id=demo-county"
    cases = [
        ("POST", "/v1/staff/kiosks", {"label": "Tablet 2"},
         _expect({"staff": 201, "staff_other": 201, "admin": 400})),
        ("GET", "/v1/staff/kiosks", None,
         _expect({"staff": 200, "staff_other": 200, "admin": 400})),
        ("GET", "/v1/staff/kiosks" + at_demo, None,
         _expect({"staff": 200, "staff_other": 403, "admin": 200})),
        ("POST", f"/v1/staff/inmates/{MARCUS}/unlock", None,
         _expect({"staff": 204, "admin": 400}, private=("staff_other",))),
        ("POST", f"/v1/staff/inmates/{MARCUS}/unlock" + at_demo, None,
         _expect({"staff": 204, "staff_other": 403, "admin": 204})),
        ("POST", "/v1/inmate/pin", {"new_pin": "24681357"}, _expect({})),
        ("POST", f"/v1/staff/inmates/{third}/pin", None,
         _expect({"staff": 200, "admin": 400}, private=("staff_other",))),
        ("POST", f"/v1/staff/inmates/{third}/sessions/revoke" + at_demo, None,
         _expect({"staff": 204, "staff_other": 403, "admin": 204})),
        ("DELETE", f"/v1/staff/kiosks/{kiosk_id}", None,
         _expect({"staff": 204, "admin": 400}, private=("staff_other",))),
    ]
    for method, path, body, expected in cases:
        for role in ROLES:
            response = world.api.call(method, path, body, token=tokens[role])
            assert response.status_code == expected[role], (method, path, role, response.json)
