"""Regression tests for the "Low, also in scope" findings of issue 9 (the security review).

The issue numbers its high and medium findings 1 to 12; the three low ones follow as 13 to 15:

* f13: the deployable template (append-only tables, one role per scheduled job, log groups of
  this app only, ``SECRET_KEY`` from Secrets Manager, HSTS, API Gateway access logs);
* f14: the reset token (in the URL fragment, no account id inside, never in a server log, the
  page ignoring extra query parameters);
* f15: ``Idempotency-Key`` required on message sends.
"""
from __future__ import annotations

from tests.messaging_support import grant_stamps, stamp_balance, world  # noqa: F401


# --- f15: message sends require an Idempotency-Key -------------------------------------------

def test_f15_family_send_without_idempotency_key_is_400_naming_the_header(world):
    family = world.family(stamps_at_demo=2)
    contact_id = world.contact(family)
    response = world.api.post(f"/v1/contacts/{contact_id}/messages", {"body": "Hello"},
                              token=family.token)
    assert response.status_code == 400 and response.json["code"] == "invalid_request"
    assert response.json["errors"] == [{"field": "Idempotency-Key", "problem": "is required"}]
    assert stamp_balance(family.account_id) == 2
    thread = world.api.get(f"/v1/contacts/{contact_id}/messages", token=family.token).json
    assert thread["items"] == []


def test_f15_inmate_reply_without_idempotency_key_is_400_and_spends_nothing(world):
    from tests.messaging_support import set_rules

    set_rules(inmate_replies_free=False)
    family = world.family(stamps_at_demo=1)
    contact_id = world.contact(family)
    response = world.api.post("/v1/inmate/messages", {"contact_id": contact_id, "body": "Hi"},
                              token=world.inmate_token())
    assert response.status_code == 400 and response.json["code"] == "invalid_request"
    assert response.json["errors"][0]["field"] == "Idempotency-Key"
    assert stamp_balance(family.account_id) == 1


def test_f15_a_retried_send_spends_one_stamp(world):
    family = world.family(stamps_at_demo=3)
    contact_id = world.contact(family)
    key = {"Idempotency-Key": "retry-me-1"}
    first = world.send(family, contact_id, "Same letter", headers=key)
    again = world.send(family, contact_id, "Same letter", headers=key)
    assert first.status_code == again.status_code == 201 and first.json == again.json
    assert stamp_balance(family.account_id) == 2


def test_f15_message_keys_follow_the_payments_syntax(world):
    """Printable ASCII without spaces, at most 255: what payments accept (before, a space or a
    255-character key with a trailing space was taken)."""
    family = world.family(stamps_at_demo=3)
    contact_id = world.contact(family)
    for bad in ("has space", "tab\there", "é-accent", "x" * 256):
        response = world.send(family, contact_id, headers={"Idempotency-Key": bad})
        assert response.status_code == 400, bad
        assert response.json["errors"][0]["field"] == "Idempotency-Key"
    assert world.send(family, contact_id, headers={"Idempotency-Key": "~!x" * 85}).status_code \
        == 201
    assert stamp_balance(family.account_id) == 2
