"""The support tables, and the writes that must be atomic.

* ``support-tickets``: one item per ticket.  ``queue_key`` (``<facility or operator>#<status>``)
  and ``queue_sort`` (``<respond_by>#<ticket_id>``) feed the staff queue index, so a queue page
  is one Query sorted by respond-by: overdue tickets come first by construction.
* ``support-replies``: the conversation, one item per reply, keyed by ticket and time.

A reply and the ticket's transition are one transaction conditioned on the status the reply
was decided from, with the audit line when the status changes.
"""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.core import audit
from chalicelib.core.audit import ReviewEntry
from chalicelib.core.store import (BaseMeta, StateChanged, StoredModel, TableName, decode_cursor,
                                   get_or_none, index_page, page, register, write_together)
from chalicelib.support import states

# The queue of tickets that name no facility: the operator's (admins answer them).
OPERATOR_QUEUE = "operator"


class TicketsByQueue(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_queue"
        projection = AllProjection()

    queue_key = UnicodeAttribute(hash_key=True)
    queue_sort = UnicodeAttribute(range_key=True)


class TicketsByAccount(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


@register
class Ticket(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("support-tickets")

    ticket_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    family_name = UnicodeAttribute()  # shown in the staff queue without a read per row
    facility_id = UnicodeAttribute(null=True)
    category = UnicodeAttribute()
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    related_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    respond_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_key = UnicodeAttribute()  # "<created, microseconds>#<ticket_id>"
    updated_at = UnicodeAttribute()
    reply_count = NumberAttribute(default=0)
    # The language the family asked in: its emails speak it unless the account chose one.
    language = UnicodeAttribute(null=True)
    queue_key = UnicodeAttribute()
    queue_sort = UnicodeAttribute()
    by_queue = TicketsByQueue()
    by_account = TicketsByAccount()


@register
class Reply(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("support-replies")

    ticket_id = UnicodeAttribute(hash_key=True)
    reply_key = UnicodeAttribute(range_key=True)  # "<time, microseconds>#<reply_id>"
    reply_id = UnicodeAttribute()
    author_id = UnicodeAttribute()
    author_role = UnicodeAttribute()  # family | staff | admin
    author_name = UnicodeAttribute()
    body = UnicodeAttribute()
    created_at = UnicodeAttribute()


def queue_key(facility_id: str | None, status: str) -> str:
    return audit.review_key(facility_id or OPERATOR_QUEUE, status)


def queue_sort(respond_by: str, ticket_id: str) -> str:
    return f"{respond_by}#{ticket_id}"


def create(ticket: Ticket) -> None:
    ticket.save(condition=Ticket.ticket_id.does_not_exist())


def ticket(ticket_id: str) -> Ticket | None:
    return get_or_none(Ticket, ticket_id)


def add_reply(found: Ticket, reply: Reply, to_status: str, respond_by: str,
              entry: ReviewEntry | None, now: str) -> None:
    """The reply and the ticket's new status at once, only if the ticket is still in the status
    the caller read (else ``StateChanged``)."""
    actions = [Ticket.status.set(to_status), Ticket.respond_by.set(respond_by),
               Ticket.queue_key.set(queue_key(found.facility_id, to_status)),
               Ticket.queue_sort.set(queue_sort(respond_by, found.ticket_id)),
               Ticket.updated_at.set(now), Ticket.reply_count.add(1)]

    def build(transaction):
        transaction.save(reply, condition=Reply.reply_key.does_not_exist())
        transaction.update(found, actions=actions, condition=Ticket.status == found.status)
        if entry is not None:
            audit.append(transaction, entry)

    write_together(build, {Ticket: StateChanged})


def close(found: Ticket, entry: ReviewEntry, now: str) -> None:
    actions = [Ticket.status.set(states.CLOSED),
               Ticket.queue_key.set(queue_key(found.facility_id, states.CLOSED)),
               Ticket.updated_at.set(now)]

    def build(transaction):
        transaction.update(found, actions=actions, condition=Ticket.status == found.status)
        audit.append(transaction, entry)

    write_together(build, {Ticket: StateChanged})


def tickets_of_account(account_id: str, limit: int, cursor: str | None, render) -> dict:
    return index_page(Ticket.by_account, account_id, limit, cursor, render, newest_first=True)


def queue(facility_id: str | None, status: str, limit: int, cursor: str | None, render) -> dict:
    """Soonest respond-by first: the overdue ones lead."""
    return index_page(Ticket.by_queue, queue_key(facility_id, status), limit, cursor, render,
                      newest_first=False)


def replies(ticket_id: str, limit: int, cursor: str | None, render) -> dict:
    """Oldest first, as a conversation reads."""
    scope = f"support-replies:{ticket_id}"
    results = Reply.query(ticket_id, limit=limit, consistent_read=True,
                          last_evaluated_key=decode_cursor(cursor, scope))
    return page(results, scope, render)


def all_tickets_of_account(account_id: str):
    """Every ticket of an account, page by page (data rights: export and erasure)."""
    return Ticket.by_account.query(account_id)


def all_replies(ticket_id: str):
    return Reply.query(ticket_id, consistent_read=True)
