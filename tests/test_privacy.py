"""Data rights (issue 17 items 2 and 3): the export holds every item that names the account,
gathered without a Scan; deletion ends sessions, refunds unused stamps, erases the email, name
and phone everywhere (only this test Scans, to prove it), keeps money records, and frees the
address; a model named by no Holding fails."""
from __future__ import annotations

import json

import pytest
from pynamodb.connection import Connection

from chalicelib import media
from chalicelib.accounts.service import throttle_subject
from chalicelib.accounts.store import throttle_for
from chalicelib.core import datarights
from chalicelib.core.errors import ServiceUnavailable
from chalicelib.privacy import service as privacy_service
from chalicelib.core.store import MODELS, BaseMeta, StoredModel, TableName
from chalicelib.payments.store import Deposit
from tests.conftest import STRONG_PASSWORD, last_code, sent_emails
from tests.messaging_support import (DEMO_FACILITY_ID, ELENA, new_key, set_rules,
                                     world)  # noqa: F401  (fixture)
from tests.mfa_helpers import enrol, kms_key  # noqa: F401  (fixture)
from tests.money_fixtures import (admit, card, deposit_body, facilities, family,  # noqa: F401
                                  post_deposit)
from tests.security_support import all_items
from tests.test_stripe import VISA, event, fake, house_total, send  # noqa: F401  (fixture)
from chalicelib.payments.audit import audit

EMAIL, NAME, PHONE = "zelda.quixote@example.com", "Zelda Quixote-Marsh", "+15035550199"
# Items that name the account yet are not in its export: they expire by themselves within a
# day or two and say nothing but counts (declared as kept in their Holding).
NOT_EXPORTED = {"daily-tallies", "rate-counters"}


def _sign_up(api, email: str = EMAIL) -> str:
    assert api.post("/v1/auth/signup", {"email": email, "password": STRONG_PASSWORD,
                                        "full_name": NAME, "phone": PHONE}).status_code == 202
    assert api.post("/v1/auth/verify-email",
                    {"email": email, "code": last_code(email)}).status_code == 200
    return _log_in(api, email)


def _log_in(api, email: str = EMAIL) -> str:
    response = api.post("/v1/auth/login", {"email": email, "password": STRONG_PASSWORD})
    assert response.status_code == 200, response.json
    return response.json["access_token"]


def _no_scan(*args, **kwargs):
    raise AssertionError("a Scan on a request path")


def _naming(dump: dict, *needles: str) -> dict[str, list[dict]]:
    return {table: found for table, items in dump.items()
            if (found := [i for i in items if any(n in json.dumps(i) for n in needles)])}


def _export(api, token: str) -> dict:
    """Every page of the export, joined; asserts it came in more than one."""
    pages, cursor = [], None
    while True:
        response = api.get("/v1/account/export" + (f"?cursor={cursor}" if cursor else ""),
                           token=token)
        assert response.status_code == 200, response.json
        pages.append(response.json)
        cursor = response.json["next_cursor"]
        if cursor is None:
            assert len(pages) > 1
            return {"schema_version": pages[0]["schema_version"],
                    "data": {k: v for page in pages for k, v in page["data"].items()}}


def test_export_names_every_item_and_deletion_leaves_no_personal_data(world, card, kms_key,  # noqa: F811
                                                                      monkeypatch):
    monkeypatch.setattr(privacy_service, "PAGE_ITEMS", 1)  # a page per capability: cursors used
    monkeypatch.setattr(Connection, "scan", _no_scan)  # the app's reads; only this test Scans
    api = world.api
    token = _sign_up(api)
    account_id = api.get("/v1/account", token=token).json["account_id"]
    enrol(api, token)  # second factor and recovery codes
    bought = api.post("/v1/stamps/purchase", {"facility_id": DEMO_FACILITY_ID, "quantity": 4,
                                              "payment_method_token": "tok_visa"},
                      token=token, headers=new_key())
    assert bought.status_code == 201, bought.json
    family = type("F", (), {"token": token, "account_id": account_id, "email": EMAIL})
    contact_id = world.contact(family)
    world.contact(family, ELENA, approve=False)
    sent = world.send(family, contact_id, "See you on Sunday")
    assert world.decide(sent.json["message_id"], "approve").status_code == 200
    assert world.reply(world.inmate_token("A1001"), contact_id, "Thanks!").status_code == 201
    assert post_deposit(api, token).status_code == 201
    admit("inm_A1009", DEMO_FACILITY_ID, "A1009", "Flag Person")
    set_rules(flag_sender_distinct_inmates_per_day=1)
    assert post_deposit(api, token, deposit_body("inm_A1009")).status_code == 201
    media.ensure_bucket()
    photo = api.post(f"/v1/contacts/{contact_id}/attachments", {
        "kind": "photo", "content_type": "image/jpeg", "size_bytes": 1000}, token=token)
    assert photo.status_code == 201, photo.json
    ticket = api.post("/v1/support/tickets", {"category": "account", "subject": "Help",
                                              "body": f"Call me at {PHONE}"}, token=token)
    assert ticket.status_code == 201, ticket.json
    other = world.family()

    before = all_items()
    mine = _naming(before, account_id)
    export = _export(api, token)
    assert export["schema_version"] == 1
    text = json.dumps(export)
    for table, items in mine.items():  # each item shows up by one of its own values
        if table.endswith(tuple(NOT_EXPORTED)):
            continue
        for item in items:
            values = {v for attr in item.values() for v in attr.values()
                      if isinstance(v, str) and len(v) >= 6 and account_id not in v}
            assert values & {*_strings(export)}, (table, item)
    assert {"accounts", "contacts", "media", "messaging", "payments", "support"} <= \
        export["data"].keys()
    assert NAME in text and PHONE in text and "See you on Sunday" in text

    wrong = api.delete("/v1/account", {"current_password": "not my password at all"}, token=token)
    assert wrong.status_code == 403 and wrong.json["code"] == "reauthentication_required"
    assert throttle_for(throttle_subject(EMAIL)).failures == 1  # counted like a failed sign-in
    bad_cursor = api.get("/v1/account/export?cursor=forged", token=token)
    assert bad_cursor.status_code == 400
    assert _naming(all_items(), EMAIL, NAME, PHONE).keys() == _naming(before, EMAIL, NAME, PHONE).keys()

    deleted = api.delete("/v1/account", {"current_password": STRONG_PASSWORD}, token=token)
    assert deleted.status_code == 202, deleted.json
    [refund] = deleted.json["refunds"]["stamp_refunds"]
    assert refund["stamps"] == 3 and refund["amount_cents"] == 3 * 39
    assert refund["card_refund"] == "sent"
    assert ("refund", bought_payment(card), 3 * 39) in card.operations
    assert all(k["record"] and k["reason"] for k in deleted.json["kept"])
    after = all_items()
    assert _naming(after, EMAIL, NAME, PHONE) == {}
    assert _naming(after, "See you on Sunday") == {}
    assert len(after[Deposit.Meta.table_name]) == 2  # money records stay
    assert api.get("/v1/account", token=token).status_code == 401  # sessions ended at once
    again = api.delete("/v1/account", {"current_password": STRONG_PASSWORD}, token=token)
    assert again.status_code == 401
    assert any("deleted" in e.subject for e in sent_emails(EMAIL))
    assert api.get("/v1/account", token=other.token).status_code == 200  # others untouched
    # The address is free again.
    assert _sign_up(api) and _naming(all_items(), EMAIL)


def test_a_deletion_cut_short_is_finished_by_asking_again(api, make_family, monkeypatch):
    email, _, tokens = make_family("cut.short@example.com")
    contacts = next(h for h in datarights.holdings() if h.capability == "contacts")

    def outage(account_id: str) -> None:
        raise ServiceUnavailable("DynamoDB is unreachable")

    monkeypatch.setitem(datarights._HOLDINGS, "contacts", contacts._replace(erase=outage))
    cut = api.delete("/v1/account", {"current_password": STRONG_PASSWORD},
                     token=tokens["access_token"])
    assert cut.status_code == 503
    assert api.get("/v1/account", token=tokens["access_token"]).status_code == 401
    monkeypatch.undo()
    again = api.delete("/v1/account", {"current_password": STRONG_PASSWORD}, token=_log_in(api, email))
    assert again.status_code == 202
    assert _naming(all_items(), email) == {}


def bought_payment(card) -> str:
    return next(auth for op, auth, cents in card.operations if op == "capture" and cents == 4 * 39)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _assert_covered(models) -> None:
    """Every stored model is named by exactly one Holding (export and erasure rules)."""
    named = [model for holding in datarights.holdings() for model in holding.models]
    assert len(named) == len(set(named)), "a model named by two holdings"
    assert set(models) - set(named) == set(), "models no Holding declares"


def test_every_stored_model_is_named_by_exactly_one_holding():
    _assert_covered(MODELS)


def test_a_new_model_without_a_holding_fails():
    class Unregistered(StoredModel):
        class Meta(BaseMeta):
            table_name = TableName("unregistered")

    with pytest.raises(AssertionError, match="models no Holding declares"):
        _assert_covered([*MODELS, Unregistered])


def test_stamps_refunded_at_deletion_are_not_taken_for_a_refund_made_outside(api, family, fake):  # noqa: F811
    """Stripe then reports the charge refunded (``charge.refunded``): ours, not a house loss."""
    email, token = family
    bought = api.post("/v1/stamps/purchase", {"facility_id": DEMO_FACILITY_ID, "quantity": 2,
                                              "payment_method_token": VISA},
                      token=token, headers=new_key())
    assert bought.status_code == 201, bought.json
    deleted = api.delete("/v1/account", {"current_password": STRONG_PASSWORD}, token=token)
    [refund] = deleted.json["refunds"]["stamp_refunds"]
    assert refund["card_refund"] == "sent" and refund["amount_cents"] == bought.json["total_cents"]
    [intent] = fake.intents.values()
    charge = {"id": "ch_stamps", "object": "charge", "payment_intent": intent["id"],
              "amount": refund["amount_cents"], "amount_refunded": refund["amount_cents"]}
    assert send(api, event("charge.refunded", charge)).json["applied"] is False
    assert house_total("card_losses") == 0 and audit().ok


def test_the_contracts_export_is_a_private_file_behind_a_short_link(api, make_family):
    """POST /v1/account/export writes the whole document to the private bucket; the status
    gives a presigned GET of that one object for 15 minutes; other accounts get 404."""
    import boto3
    from urllib.parse import parse_qs, urlsplit

    from chalicelib.config import get_settings

    media.ensure_bucket()
    email, _, tokens = make_family()
    other = make_family()[2]["access_token"]
    asked = api.post("/v1/account/export", token=tokens["access_token"])
    assert asked.status_code == 202 and asked.json["status"] == "ready", asked.json
    export_id = asked.json["export_id"]
    status = api.get(f"/v1/account/exports/{export_id}", token=tokens["access_token"])
    assert status.status_code == 200 and status.json["status"] == "ready"
    link = urlsplit(status.json["url"])
    account_id = api.get("/v1/account", token=tokens["access_token"]).json["account_id"]
    key = f"exports/{account_id}/{export_id}.json"
    assert link.path.endswith(key) and parse_qs(link.query)["X-Amz-Expires"] == ["900"]
    body = boto3.client("s3").get_object(Bucket=get_settings().media_bucket, Key=key)["Body"]
    document = json.loads(body.read())
    assert document["schema_version"] == 1 and document["next_cursor"] is None
    assert email in json.dumps(document) and "accounts" in document["data"]
    for token, export in ((other, export_id), (tokens["access_token"], "exp_nope")):
        missing = api.get(f"/v1/account/exports/{export}", token=token)
        assert missing.status_code == 404 and missing.json["code"] == "export_not_found"
    assert api.delete("/v1/account", {"current_password": STRONG_PASSWORD},
                      token=tokens["access_token"]).status_code == 202
    assert "Contents" not in boto3.client("s3").list_objects_v2(
        Bucket=get_settings().media_bucket, Prefix=f"exports/{account_id}/")
