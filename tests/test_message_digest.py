"""Issue 13 finding 7: families may choose one daily digest of message decisions instead of an
email each (account setting; an hourly job sends the digests due, its cost following them), and
every send stays out of band: a request only queues (SQS), never calls SES or SNS."""
from __future__ import annotations

import html

import pytest
from botocore.hooks import HierarchicalEmitter

from chalicelib.core import clock
from chalicelib.messaging import digests
from chalicelib.messaging.store import Message
from tests.conftest import sent_emails
from tests.messaging_support import world  # noqa: F401  (fixture)
from tests.test_notification_links import URL, _as_regex, documented_patterns, where_it_leads


@pytest.fixture
def aws_calls(monkeypatch):
    calls: list[str] = []
    original = HierarchicalEmitter._emit

    def emit(self, event_name, kwargs, stop_on_response=False):
        if event_name.startswith("before-call."):
            calls.append(".".join(event_name.split(".")[1:3]))
        return original(self, event_name, kwargs, stop_on_response)

    monkeypatch.setattr(HierarchicalEmitter, "_emit", emit)
    return calls


def _due() -> list[Message]:
    return [m for shard in range(digests.SHARDS)
            for m in Message.by_digest_due.query(f"{shard:02d}")]


def test_a_family_that_chose_the_digest_gets_one_email_a_day(world, aws_calls):  # noqa: F811
    family = world.family(stamps_at_demo=3)
    contact_id = world.contact(family)
    chosen = world.api.post("/v1/account/preferences", {"message_digest": True},
                            token=family.token)
    assert chosen.json == {"password_reminder": False, "notify_messages": True,
                           "message_digest": True}
    sent = [world.send(family, contact_id, f"Letter {n}").json["message_id"] for n in range(3)]
    aws_calls.clear()
    assert world.decide(sent[0], "approve").status_code == 200
    assert "email.SendEmail" not in aws_calls and "sns.Publish" not in aws_calls  # out of band
    assert world.decide(sent[1], "approve").status_code == 200
    assert world.decide(sent[2], "reject", "Other").status_code == 200
    assert not [m for m in sent_emails(family.email) if "message" in m.subject.lower()]
    assert sorted(m.message_id for m in _due()) == sorted(sent)

    assert digests.send_due_digests().sent == 0  # today's digest waits for the day to end
    clock.advance(24 * 3600)
    aws_calls.clear()
    report = digests.send_due_digests()
    dynamo = [call for call in aws_calls if call.startswith("dynamodb.")]
    assert report.sent == 1 and report.finished
    [digest] = [m for m in sent_emails(family.email) if "messages today" in m.subject]
    assert "2 of your messages passed" in digest.body and "1 of your messages was not" in digest.body
    [link] = {html.unescape(url) for url in URL.findall(digest.body)}
    assert where_it_leads(link) == "app"
    assert any(_as_regex(pattern).match(link) for pattern in documented_patterns())
    assert _due() == []
    # Cost: one Query per shard (one page each), one BatchGetItem, a claim per decision, the
    # family's account, the job's place; nothing grows with the number of accounts.
    assert dynamo.count("dynamodb.Query") == report.pages == digests.SHARDS
    assert dynamo.count("dynamodb.BatchGetItem") == 1
    assert dynamo.count("dynamodb.UpdateItem") == 3
    assert "dynamodb.Scan" not in dynamo
    assert digests.send_due_digests().sent == 0, "one digest per decision"


def test_without_the_digest_each_decision_is_queued_not_sent(world, aws_calls):  # noqa: F811
    family = world.family(stamps_at_demo=1)
    message_id = world.send(family, world.contact(family)).json["message_id"]
    aws_calls.clear()
    assert world.decide(message_id, "approve").status_code == 200
    assert "sqs.SendMessage" in aws_calls
    assert "email.SendEmail" not in aws_calls and _due() == []


def test_totp_comes_first_and_sign_in_never_sends_sms_codes():
    from chalicelib.accounts import mfa

    assert mfa.SIGN_IN_METHODS[0] == "totp" and "sms" not in mfa.SIGN_IN_METHODS
