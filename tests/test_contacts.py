"""Contacts (issue 5 §1): a family asks, staff of that facility decide, and only approved
contacts exchange messages."""
from __future__ import annotations

from tests.messaging_support import ELENA, MARCUS, OTHER_INMATE, world  # noqa: F401


def test_contact_request_starts_pending_and_a_duplicate_is_409(world):
    family = world.family()
    first = world.api.post("/v1/contacts", {"inmate_id": MARCUS}, token=family.token)
    assert first.status_code == 201
    assert first.json == {"contact_id": first.json["contact_id"], "status": "pending"}
    again = world.api.post("/v1/contacts", {"inmate_id": MARCUS}, token=family.token)
    assert again.status_code == 409 and again.json["code"] == "contact_exists"
    assert again.json["contact_id"] == first.json["contact_id"]
    # Another family may ask for the same inmate; the same family for another inmate.
    assert world.api.post("/v1/contacts", {"inmate_id": MARCUS},
                          token=world.family().token).status_code == 201
    assert world.api.post("/v1/contacts", {"inmate_id": ELENA},
                          token=family.token).status_code == 201


def test_unknown_inmate_is_404_and_bad_input_is_400(world):
    family = world.family()
    missing = world.api.post("/v1/contacts", {"inmate_id": "inm_nobody"}, token=family.token)
    assert missing.status_code == 404 and missing.json["code"] == "inmate_not_found"
    for body in ({}, {"inmate_id": 7}, {"inmate_id": MARCUS, "extra": 1}, {"inmate_id": ""}):
        assert world.api.post("/v1/contacts", body, token=family.token).status_code == 400


def test_staff_see_pending_requests_of_their_facility_oldest_first(world):
    families = [world.family() for _ in range(3)]
    ids = [world.contact(f, approve=False) for f in families]
    world.contact(world.family(), OTHER_INMATE, approve=False)  # another facility's request
    listed = world.api.get("/v1/staff/contacts?status=pending&limit=2", token=world.staff)
    assert listed.status_code == 200
    rest = world.api.get(f"/v1/staff/contacts?status=pending&cursor={listed.json['next_cursor']}",
                         token=world.staff)
    seen = [c["contact_id"] for c in listed.json["items"] + rest.json["items"]]
    assert seen == ids
    assert listed.json["items"][0]["family_name"] == "Pat Family"
    assert world.api.get("/v1/staff/contacts", token=world.other_staff).json["items"][0][
        "inmate_id"] == OTHER_INMATE


def test_deny_needs_a_reason_and_the_family_sees_status_and_reason(world):
    family = world.family()
    contact_id = world.contact(family, approve=False)
    path = f"/v1/staff/contacts/{contact_id}/decision"
    no_reason = world.api.post(path, {"decision": "deny"}, token=world.staff)
    assert no_reason.status_code == 400
    denied = world.api.post(path, {"decision": "deny", "reason": "Not on the visitation list"},
                            token=world.staff)
    assert denied.status_code == 200 and denied.json["status"] == "denied"
    mine = world.api.get("/v1/contacts", token=family.token).json["items"]
    assert [(c["contact_id"], c["status"], c["reason"]) for c in mine] == [
        (contact_id, "denied", "Not on the visitation list")]
    assert world.api.get("/v1/staff/contacts", token=world.staff).json["items"] == []


def test_a_contact_is_decided_once(world):
    contact_id = world.contact(world.family())  # approved
    again = world.api.post(f"/v1/staff/contacts/{contact_id}/decision",
                           {"decision": "deny", "reason": "changed my mind"}, token=world.staff)
    assert again.status_code == 409 and again.json["code"] == "already_decided"


def test_staff_of_another_facility_cannot_decide(world):
    contact_id = world.contact(world.family(), approve=False)
    response = world.api.post(f"/v1/staff/contacts/{contact_id}/decision",
                              {"decision": "approve"}, token=world.other_staff)
    assert response.status_code == 404


def test_only_approved_contacts_exchange_messages(world):
    family = world.family(stamps_at_demo=3)
    pending = world.contact(family, approve=False)
    refused = world.send(family, pending)
    assert refused.status_code == 403 and refused.json["code"] == "contact_not_approved"
    denied = world.contact(family, ELENA, approve=False)
    world.api.post(f"/v1/staff/contacts/{denied}/decision",
                   {"decision": "deny", "reason": "No"}, token=world.staff)
    assert world.send(family, denied).status_code == 403
    inmate = world.inmate_token("A1001")
    reply = world.reply(inmate, pending, "hi")
    assert reply.status_code == 403 and reply.json["code"] == "contact_not_approved"
