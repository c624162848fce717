"""Sending, stamps, review, threads and notifications (issue 5 §2–4, §6)."""
from __future__ import annotations

import json

import pytest

from chalicelib.accounts.activity import ActivityEvent
from chalicelib.accounts.store import Account
from chalicelib.messaging import store as messaging_store
from tests.conftest import sent_emails
from tests.messaging_support import (ELENA, grant_stamps, new_key, set_rules, stamp_balance,  # noqa: F401
                                     world)

UNICODE_BODIES = [
    "Hola mamá, ¿cómo estás? Ça va très bien, merci! Żółć, ß, Ø",
    "I love you 😀👍🏽 👨‍👩‍👧‍👦 🇺🇸",
    "你好，妈妈。今天很好。こんにちは 안녕하세요",
    "مرحبا يا أمي، كيف حالك؟ שלום אמא",
    "e\u0301 (decomposed) vs \u00e9 (composed), zero\u200bwidth, tab\tand\nnew line",
]


def _thread(world, family, contact_id, **query):
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    response = world.api.get(f"/v1/contacts/{contact_id}/messages?{suffix}", token=family.token)
    assert response.status_code == 200, response.json
    return response.json


@pytest.mark.parametrize("body", UNICODE_BODIES)
def test_any_unicode_body_round_trips_exactly(world, body):
    family = world.family(stamps_at_demo=1)
    contact_id = world.contact(family)
    sent = world.send(family, contact_id, body)
    assert sent.status_code == 201, sent.json
    [message] = _thread(world, family, contact_id)["items"]
    assert message["body"] == body
    staff_view = world.api.get(f"/v1/staff/messages/{sent.json['message_id']}", token=world.staff)
    assert staff_view.json["body"] == body


def test_six_thousand_characters_fit_and_six_thousand_and_one_do_not(world):
    family = world.family(stamps_at_demo=3)
    contact_id = world.contact(family)
    assert world.send(family, contact_id, "a" * 6000).status_code == 201
    too_long = world.send(family, contact_id, "a" * 6001)
    assert too_long.status_code == 400 and too_long.json["errors"][0]["field"] == "body"
    # Characters, not bytes: 6000 emoji (4 UTF-8 bytes, 12 bytes JSON-escaped, each) fit.
    emoji = world.api.call("POST", f"/v1/contacts/{contact_id}/messages", token=family.token,
                           raw=json.dumps({"body": "😀" * 6000}), headers=new_key())
    assert emoji.status_code == 201, emoji.json
    assert world.send(family, contact_id, "😀" * 6001).status_code == 400
    assert stamp_balance(family.account_id) == 1


@pytest.mark.parametrize("raw", [
    '{"body": ""}', '{"body": "   \\n "}', '{"body": "\\ud800 lone surrogate"}',
    '{"body": 42}', '{"body": "hi", "to": "x"}', '{}', "not json", '["body"]',
])
def test_bad_bodies_are_400_and_spend_nothing(world, raw):
    family = world.family(stamps_at_demo=1)
    contact_id = world.contact(family)
    response = world.api.call("POST", f"/v1/contacts/{contact_id}/messages", raw=raw,
                              token=family.token, headers=new_key())
    assert response.status_code == 400
    assert stamp_balance(family.account_id) == 1
    assert _thread(world, family, contact_id)["items"] == []


def test_no_stamp_is_402_and_nothing_is_stored(world):
    family = world.family()
    contact_id = world.contact(family)
    response = world.send(family, contact_id)
    assert response.status_code == 402 and response.json["code"] == "insufficient_stamps"
    assert _thread(world, family, contact_id)["items"] == []
    assert world.api.get("/v1/staff/messages", token=world.staff).json["items"] == []
    assert stamp_balance(family.account_id) == 0


def test_each_message_spends_one_stamp_of_that_facility(world):
    family = world.family(stamps_at_demo=2)
    grant_stamps(family.account_id, "other-county", 5)  # stamps are per facility
    contact_id = world.contact(family)
    first, second, third = (world.send(family, contact_id, f"note {n}") for n in range(3))
    assert (first.json["stamps_left"], second.json["stamps_left"]) == (1, 0)
    assert first.json["status"] == "pending_review"
    assert third.status_code == 402
    assert stamp_balance(family.account_id, "other-county") == 5


def test_a_send_records_message_sent_in_account_activity(world):
    family = world.family(stamps_at_demo=1)
    sent = world.send(family, world.contact(family))
    events = [e for e in ActivityEvent.query(family.account_id) if e.type == "message_sent"]
    assert [e.detail.as_dict()["message_id"] for e in events] == [sent.json["message_id"]]


def test_a_stamp_spent_meanwhile_fails_the_transaction_and_answers_402(world, monkeypatch):
    """The snapshot saw a stamp that a concurrent send took: the transaction's condition on the
    balance fails (told apart from other conditions by its cancellation reason) and the send
    looks again, finds none and stores nothing."""
    family = world.family(stamps_at_demo=1)
    contact_id = world.contact(family)
    real_snapshot = messaging_store.send_snapshot
    raced = {"done": False}

    def snapshot_then_lose_the_race(*args):
        snapshot = real_snapshot(*args)
        if not raced["done"]:
            raced["done"] = True
            grant_stamps(family.account_id, "demo-county", -1)  # the other send's spend
        return snapshot

    monkeypatch.setattr(messaging_store, "send_snapshot", snapshot_then_lose_the_race)
    response = world.send(family, contact_id)
    assert response.status_code == 402 and response.json["code"] == "insufficient_stamps"
    assert _thread(world, family, contact_id)["items"] == []
    assert stamp_balance(family.account_id) == 0


def test_a_purchase_landing_mid_send_is_retried_and_stamps_left_stays_exact(world, monkeypatch):
    family = world.family(stamps_at_demo=1)
    contact_id = world.contact(family)
    real_snapshot = messaging_store.send_snapshot
    calls = []

    def snapshot_then_purchase(*args):
        snapshot = real_snapshot(*args)
        if not calls:
            grant_stamps(family.account_id, "demo-county", 10)
        calls.append(snapshot.balance)
        return snapshot

    monkeypatch.setattr(messaging_store, "send_snapshot", snapshot_then_purchase)
    response = world.send(family, contact_id)
    assert response.status_code == 201 and response.json["stamps_left"] == 10
    assert calls == [1, 11] and stamp_balance(family.account_id) == 10


def test_retries_with_the_same_idempotency_key_spend_one_stamp(world):
    family = world.family(stamps_at_demo=3)
    contact_id = world.contact(family)
    key = {"Idempotency-Key": "send-7f3a"}
    first = world.send(family, contact_id, "Same letter", headers=key)
    again = world.send(family, contact_id, "Same letter", headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json == {"message_id": first.json["message_id"],
                                        "status": "pending_review", "stamps_left": 2}
    assert stamp_balance(family.account_id) == 2
    assert len(_thread(world, family, contact_id)["items"]) == 1
    reused = world.send(family, contact_id, "Another letter", headers=key)
    assert reused.status_code == 409 and reused.json["code"] == "idempotency_key_reused"
    # The replay wins even when the balance is gone by now; keys are per sender.
    grant_stamps(family.account_id, "demo-county", -2)
    assert world.send(family, contact_id, "Same letter", headers=key).status_code == 201
    other = world.family(stamps_at_demo=1)
    assert world.send(other, world.contact(other), "Same letter", headers=key).json[
        "message_id"] != first.json["message_id"]


def test_idempotency_key_must_be_sane(world):
    family = world.family(stamps_at_demo=1)
    contact_id = world.contact(family)
    response = world.send(family, contact_id, headers={"Idempotency-Key": "x" * 256})
    assert response.status_code == 400
    assert stamp_balance(family.account_id) == 1


def test_review_queue_is_oldest_first_and_paginated(world):
    family = world.family(stamps_at_demo=5)
    contact_id = world.contact(family)
    ids = [world.send(family, contact_id, f"letter {n}").json["message_id"] for n in range(5)]
    first = world.api.get("/v1/staff/messages?status=pending_review&limit=2", token=world.staff)
    assert first.status_code == 200 and first.json["next_cursor"]
    seen = [m["message_id"] for m in first.json["items"]]
    cursor = first.json["next_cursor"]
    while cursor:
        page = world.api.get(f"/v1/staff/messages?limit=2&cursor={cursor}", token=world.staff).json
        seen += [m["message_id"] for m in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ids
    forged = world.api.get("/v1/staff/messages?cursor=abc.def", token=world.staff)
    assert forged.status_code == 400
    assert world.api.get("/v1/staff/messages", token=world.other_staff).json["items"] == []


def test_watch_words_flag_a_message_and_staff_see_them(world):
    family = world.family(stamps_at_demo=2)
    contact_id = world.contact(family)
    flagged = world.send(family, contact_id, "No more talk of ESCAPE, ok? Landscape is nice.")
    clean = world.send(family, contact_id, "The landscape here is lovely")
    queue = {m["message_id"]: m for m in
             world.api.get("/v1/staff/messages", token=world.staff).json["items"]}
    assert queue[flagged.json["message_id"]]["watch_words"] == ["escape"]
    assert queue[flagged.json["message_id"]]["flagged"] is True
    assert queue[clean.json["message_id"]]["flagged"] is False


def test_clean_messages_are_delivered_at_once_when_the_facility_allows_it(world):
    set_rules(auto_approve_clean_messages=True)
    family = world.family(stamps_at_demo=2)
    contact_id = world.contact(family)
    clean = world.send(family, contact_id, "See you Sunday")
    flagged = world.send(family, contact_id, "bring the drugs")
    assert clean.json["status"] == "delivered" and flagged.json["status"] == "pending_review"
    audit = world.api.get(f"/v1/staff/messages/{clean.json['message_id']}", token=world.staff)
    assert [(e["action"], e["actor_id"], e["to_status"]) for e in audit.json["review_log"]] == [
        ("approve", "system:auto_review", "delivered")]
    pending = world.api.get("/v1/staff/messages", token=world.staff).json["items"]
    assert [m["message_id"] for m in pending] == [flagged.json["message_id"]]
    assert [e.subject for e in sent_emails(family.email) if "delivered" in e.subject]


def test_approval_delivers_and_is_audited(world):
    family = world.family(stamps_at_demo=1)
    contact_id = world.contact(family)
    message_id = world.send(family, contact_id).json["message_id"]
    decided = world.decide(message_id, "approve", note="fine")
    assert decided.status_code == 200 and decided.json["status"] == "delivered"
    [entry] = decided.json["review_log"]
    assert entry["action"] == "approve" and entry["from_status"] == "pending_review"
    assert entry["to_status"] == "delivered" and entry["actor_role"] == "staff"
    assert entry["note"] == "fine" and entry["at"].endswith("Z") and entry["actor_id"]
    [message] = _thread(world, family, contact_id)["items"]
    assert message["status"] == "delivered" and message["rejection_reason"] is None
    assert stamp_balance(family.account_id) == 0


def test_rejection_refunds_exactly_one_stamp_and_shows_the_reason(world):
    family = world.family(stamps_at_demo=2)
    contact_id = world.contact(family)
    message_id = world.send(family, contact_id, "a letter").json["message_id"]
    assert stamp_balance(family.account_id) == 1
    bad_reason = world.decide(message_id, "reject", "I just don't like it")
    assert bad_reason.status_code == 400 and bad_reason.json["code"] == "invalid_rejection_reason"
    assert "harassment" in bad_reason.json["allowed_reasons"]
    assert world.decide(message_id, "reject").status_code == 400
    rejected = world.decide(message_id, "reject", "Coded or unreadable content",
                            note="staff-only remark")
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    assert stamp_balance(family.account_id) == 2
    [message] = _thread(world, family, contact_id)["items"]
    assert message["status"] == "rejected"
    assert message["rejection_reason"] == "Coded or unreadable content"
    assert "staff-only remark" not in json.dumps(message)
    [entry] = rejected.json["review_log"]
    assert (entry["reason"], entry["note"]) == ("Coded or unreadable content", "staff-only remark")


def test_a_message_is_decided_once(world):
    family = world.family(stamps_at_demo=2)
    contact_id = world.contact(family)
    message_id = world.send(family, contact_id).json["message_id"]
    assert world.decide(message_id, "approve").status_code == 200
    again = world.decide(message_id, "reject", "Other")
    assert again.status_code == 409 and again.json["code"] == "already_decided"
    assert stamp_balance(family.account_id) == 1, "no refund for a message already delivered"
    rejected_id = world.send(family, contact_id).json["message_id"]
    assert world.decide(rejected_id, "reject", "Other").status_code == 200
    assert world.decide(rejected_id, "reject", "Other").status_code == 409
    assert stamp_balance(family.account_id) == 1, "refunded once"
    log = world.api.get(f"/v1/staff/messages/{rejected_id}", token=world.staff).json["review_log"]
    assert len(log) == 1


def test_a_concurrent_second_decision_loses_on_the_state_condition(world, monkeypatch):
    """Both reviewers read ``pending_review``; the transaction conditioned on it lets one win."""
    family = world.family(stamps_at_demo=1)
    message_id = world.send(family, world.contact(family)).json["message_id"]
    stale = messaging_store.message(message_id)
    assert world.decide(message_id, "reject", "Other").status_code == 200
    monkeypatch.setattr(messaging_store, "message", lambda _id: stale)
    late = world.decide(message_id, "reject", "Other")
    assert late.status_code == 409 and late.json["code"] == "already_decided"
    monkeypatch.undo()
    assert stamp_balance(family.account_id) == 1, "refunded exactly once"


def test_thread_is_newest_first_paginated_and_holds_only_that_contact(world):
    family = world.family(stamps_at_demo=9)
    contact_id = world.contact(family)
    other_contact = world.contact(family, ELENA)
    ids = [world.send(family, contact_id, f"n{n}").json["message_id"] for n in range(7)]
    world.send(family, other_contact, "to Elena")
    world.send(family, other_contact, "to Elena again")
    page = _thread(world, family, contact_id, limit=3)
    seen = [m["message_id"] for m in page["items"]]
    while page["next_cursor"]:
        page = _thread(world, family, contact_id, limit=3, cursor=page["next_cursor"])
        seen += [m["message_id"] for m in page["items"]]
    assert seen == ids[::-1]
    other_cursor = _thread(world, family, other_contact, limit=1)["next_cursor"]
    assert other_cursor, "two messages, one per page: there is a next page"
    mixed = world.api.get(f"/v1/contacts/{contact_id}/messages?cursor={other_cursor}",
                          token=family.token)
    assert mixed.status_code == 400, "a cursor is bound to its thread"
    assert world.api.get(f"/v1/contacts/{contact_id}/messages?limit=101",
                         token=family.token).status_code == 400


def test_family_is_emailed_on_delivery_and_on_rejection_with_the_reason(world):
    family = world.family(stamps_at_demo=2)
    contact_id = world.contact(family)
    delivered = world.send(family, contact_id, "secret words here").json["message_id"]
    rejected = world.send(family, contact_id).json["message_id"]
    before = len(sent_emails(family.email))
    world.decide(delivered, "approve")
    world.decide(rejected, "reject", "Harassment")
    emails = sent_emails(family.email)[before:]
    assert [e.subject for e in emails] == [
        "Your message to Marcus Johnson was delivered",
        "Your message to Marcus Johnson was not delivered"]
    assert "Reason given: <strong>Harassment</strong>" in emails[1].body
    assert all("secret words" not in e.body for e in emails), "no message text in email"


def test_family_that_opted_out_gets_no_message_emails(world):
    family = world.family(stamps_at_demo=1)
    contact_id = world.contact(family)
    account = Account.get(family.account_id)
    account.update(actions=[Account.preferences.set({"notify_messages": False})])
    message_id = world.send(family, contact_id).json["message_id"]
    before = len(sent_emails(family.email))
    world.decide(message_id, "reject", "Other")
    assert len(sent_emails(family.email)) == before
