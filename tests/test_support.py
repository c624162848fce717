"""Support tickets (issue 17 item 1): related objects checked by owner, respond-by in business
days of the facility's zone, replies by the facility's staff or admins, open → answered →
closed with audited transitions, an email on every reply, and the staff queue sorted by
respond-by with overdue tickets first."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.config import ConfigurationError, reset_settings
from chalicelib.core import audit, clock, datarights
from chalicelib.core.store import StateChanged, get_or_none
from chalicelib.support import store as support_store
from chalicelib.support import targets
from chalicelib.support.store import Reply, Ticket
from tests.conftest import sent_emails
from tests.messaging_support import DEMO_FACILITY_ID, world  # noqa: F401  (fixture)
from tests.money_fixtures import card, post_deposit  # noqa: F401  (fixture)


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_respond_by_counts_business_days_on_the_facilitys_clock(monkeypatch):
    chicago = "America/Chicago"
    # Friday 16:00 in Chicago (22:00 UTC): one business day is Monday 16:00 in Chicago.
    assert _utc(targets.respond_by(_epoch("2026-12-04T22:00:00+00:00"), 1, chicago)) \
        == "2026-12-07T22:00:00Z"
    # Friday 23:30 in Chicago is already Saturday in UTC: still Friday's question, due Monday.
    assert _utc(targets.respond_by(_epoch("2026-12-05T05:30:00+00:00"), 1, chicago)) \
        == "2026-12-08T05:30:00Z"
    # Saturday counts from Monday's start: due at the end of Monday, Chicago time.
    assert _utc(targets.respond_by(_epoch("2026-12-05T18:00:00+00:00"), 1, chicago)) \
        == "2026-12-08T06:00:00Z"
    # Across the change to daylight time (8 March 2026): the local hour is kept.
    assert _utc(targets.respond_by(_epoch("2026-03-06T22:00:00+00:00"), 1, chicago)) \
        == "2026-03-09T21:00:00Z"
    # Tuesday + 3 = Friday, in UTC when there is no facility.
    assert _utc(targets.respond_by(_epoch("2026-12-01T10:00:00+00:00"), 3, None)) \
        == "2026-12-04T10:00:00Z"
    assert targets.target_days("deposit") == 1
    monkeypatch.setenv("SUPPORT_TARGET_DAYS", "other=3, account=2")
    reset_settings()
    assert (targets.target_days("other"), targets.target_days("account"),
            targets.target_days("call")) == (3, 2, 1)
    monkeypatch.setenv("SUPPORT_TARGET_DAYS", "nonsense")
    reset_settings()
    with pytest.raises(ConfigurationError, match="SUPPORT_TARGET_DAYS"):
        targets.target_days("other")
    monkeypatch.delenv("SUPPORT_TARGET_DAYS")
    reset_settings()


def _count(model) -> int:
    return sum(1 for _ in model.scan())  # tests only


def test_a_ticket_from_question_to_closed(world, card):  # noqa: F811
    api = world.api
    owner, other = world.family(stamps_at_demo=1), world.family()
    deposit_id = post_deposit(api, owner.token).json["deposit_id"]
    tickets = "/v1/support/tickets"

    # Another family's deposit does not exist for you; a wrong pairing is 400; nothing written.
    stolen = api.post(tickets, {"category": "deposit", "subject": "Where is it?", "body": "Hi",
                                "related_id": deposit_id}, token=other.token)
    assert stolen.status_code == 404 and stolen.json["code"] == "related_not_found"
    mismatched = api.post(tickets, {"category": "account", "subject": "x", "body": "y",
                                    "related_id": deposit_id}, token=owner.token)
    assert mismatched.status_code == 400 and mismatched.json["errors"][0]["field"] == "related_id"
    as_message = api.post(tickets, {"category": "message", "subject": "x", "body": "y",
                                    "related_id": deposit_id}, token=owner.token)
    assert as_message.status_code == 404
    odd = api.post(tickets, {"category": "deposit", "subject": "bad\u202etext", "body": "y"},
                   token=owner.token)
    assert odd.status_code == 400 and odd.json["errors"][0]["field"] == "subject"
    assert _count(Ticket) == 0

    opened = api.post(tickets, {"category": "deposit", "subject": "Not on his\naccount",
                                "body": "I sent it yesterday.", "related_id": deposit_id},
                      token=owner.token)
    assert opened.status_code == 201, opened.json
    ticket = opened.json
    ticket_id = ticket["ticket_id"]
    assert ticket["status"] == "open" and ticket["facility_id"] == DEMO_FACILITY_ID
    assert ticket["subject"] == "Not on his account"
    assert ticket["respond_by"] > clock.iso()
    assert api.get(f"{tickets}/{ticket_id}", token=other.token).status_code == 404
    assert api.post(f"{tickets}/{ticket_id}/replies", {"body": "me too"},
                    token=other.token).status_code == 404

    queue = api.get("/v1/staff/support/tickets", token=world.staff).json["items"]
    assert [(t["ticket_id"], t["overdue"]) for t in queue] == [(ticket_id, False)]
    assert api.get("/v1/staff/support/tickets", token=world.other_staff).json["items"] == []
    staff_path = f"/v1/staff/support/tickets/{ticket_id}"
    assert api.post(f"{staff_path}/replies", {"body": "not mine"},
                    token=world.other_staff).status_code == 404
    assert api.get(staff_path, token=world.other_staff).status_code == 404

    answered = api.post(f"{staff_path}/replies", {"body": "It posted this morning."},
                        token=world.staff)
    assert answered.status_code == 201 and answered.json["status"] == "answered"
    [email] = sent_emails(owner.email)[-1:]
    assert "Support answered" in email.subject and "It posted this morning." in email.body

    reopened = api.post(f"{tickets}/{ticket_id}/replies", {"body": "Still not there."},
                        token=owner.token)
    assert reopened.status_code == 201 and reopened.json["status"] == "open"
    assert reopened.json["respond_by"] >= ticket["respond_by"]
    assert "We received your reply" in sent_emails(owner.email)[-1].subject
    by_admin = api.post(f"{staff_path}/replies", {"body": "Refund on its way."},
                        token=world.admin)
    assert by_admin.status_code == 201 and by_admin.json["status"] == "answered"
    assert len([m for m in sent_emails(owner.email) if "Support answered" in m.subject]) == 2

    closed = api.post(f"{staff_path}/close", token=world.staff)
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    again = api.post(f"{staff_path}/close", token=world.staff)
    assert again.status_code == 200 and again.json == closed.json  # a repeat changes nothing
    replies_before, emails_before = _count(Reply), len(sent_emails(owner.email))
    late = api.post(f"{tickets}/{ticket_id}/replies", {"body": "Hello?"}, token=owner.token)
    assert late.status_code == 409 and late.json["code"] == "ticket_closed"
    staff_late = api.post(f"{staff_path}/replies", {"body": "x"}, token=world.staff)
    assert staff_late.status_code == 409
    assert (_count(Reply), len(sent_emails(owner.email))) == (replies_before, emails_before)

    shown = api.get(f"{tickets}/{ticket_id}?limit=2", token=owner.token).json
    assert shown["status"] == "closed" and shown["reply_count"] == 3
    assert [r["author_role"] for r in shown["replies"]["items"]] == ["staff", "family"]
    rest = api.get(f"{tickets}/{ticket_id}?cursor={shown['replies']['next_cursor']}",
                   token=owner.token).json["replies"]
    assert [r["author_role"] for r in rest["items"]] == ["admin"] and rest["next_cursor"] is None
    trail = audit.trail(f"ticket#{ticket_id}")
    assert [(line["from_status"], line["to_status"], line["actor_role"]) for line in trail] == [
        ("open", "answered", "staff"), ("answered", "open", "family"),
        ("open", "answered", "admin"), ("answered", "closed", "staff")]
    assert [t["ticket_id"] for t in api.get(tickets, token=owner.token).json["items"]] \
        == [ticket_id]
    assert api.get(tickets, token=other.token).json["items"] == []

    # Data rights: the export holds the ticket and its replies; erasure removes both.
    [holding] = [h for h in datarights.holdings() if h.capability == "support"]
    assert set(holding.models) == {Ticket, Reply}
    exported = holding.export(owner.account_id)
    assert [t["ticket_id"] for t in exported["support_tickets"]] == [ticket_id]
    assert len(exported["support_replies"]) == 3
    assert holding.export(other.account_id) == {"support_tickets": [], "support_replies": []}
    holding.erase(owner.account_id)
    assert (_count(Ticket), _count(Reply)) == (0, 0)
    assert api.get(f"{tickets}/{ticket_id}", token=owner.token).status_code == 404


def test_the_queue_puts_overdue_tickets_first_and_filters_by_status(world):  # noqa: F811
    api = world.api
    family = world.family()
    ask = {"category": "other", "body": "A question", "facility_id": DEMO_FACILITY_ID}
    clock.advance(-5 * 24 * 3600)  # the first was asked five days ago: overdue now
    try:
        first = api.post("/v1/support/tickets", {**ask, "subject": "First"},
                         token=family.token).json
    finally:
        clock.reset()
    second = api.post("/v1/support/tickets", {**ask, "subject": "Second"},
                      token=family.token).json
    page = api.get("/v1/staff/support/tickets?limit=1", token=world.staff).json
    assert [(t["subject"], t["overdue"]) for t in page["items"]] == [("First", True)]
    rest = api.get(f"/v1/staff/support/tickets?limit=1&cursor={page['next_cursor']}",
                   token=world.staff).json
    assert [(t["subject"], t["overdue"]) for t in rest["items"]] == [("Second", False)]
    api.post(f"/v1/staff/support/tickets/{second['ticket_id']}/replies", {"body": "Yes."},
             token=world.staff)
    answered = api.get("/v1/staff/support/tickets?status=answered", token=world.staff).json
    assert [t["ticket_id"] for t in answered["items"]] == [second["ticket_id"]]
    still_open = api.get("/v1/staff/support/tickets?status=open", token=world.staff).json
    assert [t["ticket_id"] for t in still_open["items"]] == [first["ticket_id"]]
    # A reply decided on a stale read cannot land on a ticket closed meanwhile: the write is
    # conditioned on the status read, and the service then answers ticket_closed.
    stale = support_store.ticket(second["ticket_id"])
    closing = support_store.ticket(second["ticket_id"])
    support_store.close(closing, audit.entry(f"ticket#{closing.ticket_id}", None, "close",
                                             closing.status, "closed"), clock.iso())
    late = Reply(stale.ticket_id, f"{clock.iso_precise()}#rpl_late", reply_id="rpl_late",
                 author_id=family.account_id, author_role="family", author_name="Pat",
                 body="late", created_at=clock.iso())
    with pytest.raises(StateChanged):
        support_store.add_reply(stale, late, "open", stale.respond_by, None, clock.iso())
    assert support_store.ticket(second["ticket_id"]).status == "closed"
    assert get_or_none(Reply, stale.ticket_id, late.reply_key) is None
    # No facility: the operator's queue, which admins read without facility_id.
    loose = api.post("/v1/support/tickets", {"category": "account", "subject": "Login",
                                             "body": "Help"}, token=family.token,
                     headers={"Accept-Language": "es"}).json
    assert loose["facility_id"] is None
    operator = api.get("/v1/staff/support/tickets", token=world.admin).json["items"]
    assert [t["ticket_id"] for t in operator] == [loose["ticket_id"]]
    assert api.post(f"/v1/staff/support/tickets/{loose['ticket_id']}/replies", {"body": "Hecho."},
                    token=world.admin).status_code == 201
    # Asked in Spanish: answered in Spanish (the account chose no language).
    assert sent_emails(family.email)[-1].subject == "Respuesta de soporte: Login"
    assert api.post(f"/v1/staff/support/tickets/{loose['ticket_id']}/replies", {"body": "x"},
                    token=world.staff).status_code == 404
    unknown = api.post("/v1/support/tickets", {**ask, "subject": "x", "facility_id": "nowhere"},
                       token=family.token)
    assert unknown.status_code == 404 and unknown.json["code"] == "facility_not_found"


def test_visit_and_call_tickets_name_only_the_familys_own(monkeypatch):
    """A visit or a call named by a ticket must be the family's: another's is "not found"."""
    from types import SimpleNamespace

    from chalicelib.core.errors import NotFound
    from chalicelib.core.identity import Principal
    from chalicelib.support import service

    mine = SimpleNamespace(account_id="acc_mine", facility_id="demo-county")
    theirs = SimpleNamespace(account_id="acc_theirs", facility_id="demo-county")
    never_reached_a_family = SimpleNamespace(account_id=None, facility_id="demo-county")
    monkeypatch.setattr(service.visits, "visit_by_id",
                        {"vis_mine": mine, "vis_theirs": theirs}.get)
    monkeypatch.setattr(service.calls, "call_by_id",
                        {"call_mine": mine, "call_theirs": theirs,
                         "call_nobody": never_reached_a_family}.get)
    family = Principal("acc_mine", "family", "ses_1")
    assert service._related(family, "visit", "vis_mine").facility_id == "demo-county"
    assert service._related(family, "call", "call_mine").account_id == "acc_mine"
    for category, related_id in (("visit", "vis_theirs"), ("visit", "vis_none"),
                                 ("call", "call_theirs"), ("call", "call_nobody")):
        with pytest.raises(NotFound) as refused:
            service._related(family, category, related_id)
        assert refused.value.code == "related_not_found"
