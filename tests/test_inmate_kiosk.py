"""The inmate's kiosk side (issue 5 §4–6): PIN sign-in with lockout, inbox, read status and
replies.  The test client is the demo kiosk (see ``tests.messaging_support``); the kiosk rules of
the security review are in tests/test_security_review_kiosk.py."""
from __future__ import annotations

from chalicelib.core import clock
from tests.conftest import sent_emails
from tests.messaging_support import ELENA, set_rules, stamp_balance, world  # noqa: F401


def test_kiosk_sign_in_gives_an_inmate_session(world):
    response = world.inmate_login("a1001 ")  # numbers are matched trimmed and upper-cased
    assert response.status_code == 200
    assert response.json["token_type"] == "Bearer" and response.json["expires_in"] > 0
    token = response.json["access_token"]
    assert world.api.get("/v1/inmate/messages", token=token).status_code == 200
    assert world.api.get("/v1/account", token=token).status_code == 403
    assert world.api.post("/v1/inmate/logout", token=token).status_code == 204
    assert world.api.get("/v1/inmate/messages", token=token).status_code == 401


def test_wrong_pin_and_unknown_number_fail_alike(world):
    answers = [world.inmate_login("A1001", pin="000000"), world.inmate_login("Z9999")]
    assert {r.status_code for r in answers} == {401}
    assert len({r.body for r in answers}) == 1
    assert answers[0].json["code"] == "invalid_credentials"
    # The demo kiosk is not registered at another facility, known or not.
    elsewhere = world.inmate_login("A1001", facility_id="nowhere")
    assert elsewhere.status_code == 401 and elsewhere.json["code"] == "kiosk_not_registered"


def test_five_wrong_pins_lock_the_kiosk_sign_in_even_for_the_right_pin(world):
    for _ in range(5):
        assert world.inmate_login("A1001", pin="111111").status_code == 401
    locked = world.inmate_login("A1001")
    assert locked.status_code == 429 and locked.json["code"] == "account_locked"
    assert int(locked.headers["Retry-After"]) == locked.json["retry_after_seconds"]
    assert 899 <= locked.json["retry_after_seconds"] <= 901  # 15 minutes, as for e-mail sign-in
    assert world.inmate_login("A1002").status_code == 200, "the lock is per inmate"
    clock.advance(902)
    assert world.inmate_login("A1001").status_code == 200


def test_unknown_numbers_lock_too(world):
    for _ in range(5):
        world.inmate_login("Z9999", pin="111111")
    assert world.inmate_login("Z9999").status_code == 429


def test_inbox_lists_delivered_messages_without_bodies_and_opening_marks_read(world):
    family = world.family(stamps_at_demo=3)
    contact_id = world.contact(family)
    delivered = world.send(family, contact_id, "Delivered letter").json["message_id"]
    rejected = world.send(family, contact_id, "Rejected letter").json["message_id"]
    world.send(family, contact_id, "Still in review")
    world.decide(delivered, "approve")
    world.decide(rejected, "reject", "Other")
    token = world.inmate_token()
    [item] = world.api.get("/v1/inmate/messages", token=token).json["items"]
    assert item["message_id"] == delivered and item["status"] == "delivered"
    assert "body" not in item and item["family_name"] == "Pat Family"
    opened = world.api.get(f"/v1/inmate/messages/{delivered}", token=token)
    assert opened.status_code == 200 and opened.json["body"] == "Delivered letter"
    assert opened.json["status"] == "read" and opened.json["read_at"]
    [family_view] = [m for m in world.api.get(f"/v1/contacts/{contact_id}/messages",
                                              token=family.token).json["items"]
                     if m["message_id"] == delivered]
    assert family_view["status"] == "read" and family_view["read_at"] == opened.json["read_at"]
    assert world.api.get(f"/v1/inmate/messages/{rejected}", token=token).status_code == 404
    again = world.api.get(f"/v1/inmate/messages/{delivered}", token=token)
    assert again.json["read_at"] == opened.json["read_at"]


def test_an_inmate_sees_only_their_own_contacts_and_messages(world):
    family = world.family(stamps_at_demo=1)
    to_marcus = world.contact(family)
    world.contact(world.family(), ELENA)
    message_id = world.send(family, to_marcus).json["message_id"]
    world.decide(message_id, "approve")
    elena = world.inmate_token("A1002")
    assert world.api.get(f"/v1/inmate/messages/{message_id}", token=elena).status_code == 404
    assert world.api.get("/v1/inmate/messages", token=elena).json["items"] == []
    assert [c["family_name"] for c in
            world.api.get("/v1/inmate/contacts", token=elena).json["items"]] == ["Pat Family"]
    reply = world.reply(elena, to_marcus, "hi")
    assert reply.status_code == 404
    marcus = world.inmate_token("A1001")
    assert [c["contact_id"] for c in
            world.api.get("/v1/inmate/contacts", token=marcus).json["items"]] == [to_marcus]


def test_a_free_reply_goes_through_review_and_the_family_hears_of_it(world):
    family = world.family()
    contact_id = world.contact(family)
    token = world.inmate_token()
    body = "Gracias, te quiero ❤️"
    reply = world.reply(token, contact_id, body)
    assert reply.status_code == 201 and reply.json["status"] == "pending_review"
    assert "stamps_left" not in reply.json
    thread = world.api.get(f"/v1/contacts/{contact_id}/messages", token=family.token).json
    assert thread["items"] == [], "a reply in review is not shown to the family"
    [queued] = world.api.get("/v1/staff/messages", token=world.staff).json["items"]
    assert queued["direction"] == "to_family" and queued["stamps_spent"] == 0
    before = len(sent_emails(family.email))
    world.decide(reply.json["message_id"], "approve")
    [shown] = world.api.get(f"/v1/contacts/{contact_id}/messages", token=family.token).json["items"]
    assert shown["body"] == body and shown["direction"] == "to_family"
    [email] = sent_emails(family.email)[before:]
    assert email.subject == "Marcus Johnson replied to you"


def test_a_paid_reply_spends_the_familys_stamp_and_a_rejection_refunds_it(world):
    set_rules(inmate_replies_free=False)
    family = world.family(stamps_at_demo=1)
    contact_id = world.contact(family)
    token = world.inmate_token()
    reply = world.reply(token, contact_id, "thanks")
    assert reply.status_code == 201 and stamp_balance(family.account_id) == 0
    short = world.reply(token, contact_id, "again")
    assert short.status_code == 402 and short.json["code"] == "insufficient_stamps"
    before = len(sent_emails(family.email))
    world.decide(reply.json["message_id"], "reject", "Other")
    assert stamp_balance(family.account_id) == 1
    assert len(sent_emails(family.email)) == before, "a rejected reply is not announced"


def test_reply_opt_out_is_respected(world):
    from chalicelib.accounts.store import Account

    family = world.family()
    contact_id = world.contact(family)
    Account.get(family.account_id).update(
        actions=[Account.preferences.set({"notify_messages": False})])
    reply = world.reply(world.inmate_token(), contact_id, "hello")
    before = len(sent_emails(family.email))
    world.decide(reply.json["message_id"], "approve")
    assert len(sent_emails(family.email)) == before
