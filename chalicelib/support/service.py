"""Support tickets: a family asks for help about one of its deposits, messages, visits or calls
(or its account); staff of the facility that object belongs to, or admins, answer; the family is
emailed on every reply.  Decisions: docs/decisions/support.md."""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from chalicelib import calls, facilities, messaging, payments, visits
from chalicelib.accounts import account_by_id
from chalicelib.core import audit, clock, i18n, secrets
from chalicelib.core.errors import Conflict, InvalidRequest, NotFound
from chalicelib.core.i18n import N_, _
from chalicelib.core.identity import Principal
from chalicelib.core.notify import notifier
from chalicelib.core.store import StateChanged
from chalicelib.support import states, store, targets
from chalicelib.support.store import Reply, Ticket


class Related(NamedTuple):
    """Who owns the object a ticket is about, and the facility it belongs to."""
    account_id: str
    facility_id: str


def _deposit(deposit_id: str) -> Related | None:
    found = payments.deposit_by_id(deposit_id)
    return found and Related(found.sender_account_id, found.facility_id)


def _message(message_id: str) -> Related | None:
    found = messaging.message_by_id(message_id)
    return found and Related(found.account_id, found.facility_id)


def _visit(visit_id: str) -> Related | None:
    found = visits.visit_by_id(visit_id)
    return found and Related(found.account_id, found.facility_id)


def _call(call_id: str) -> Related | None:
    found = calls.call_by_id(call_id)
    return found and found.account_id and Related(found.account_id, found.facility_id)


# kind -> owner lookup
RELATED_LOOKUPS: dict[str, Callable[[str], Related | None]] = {
    states.Category.DEPOSIT: _deposit,
    states.Category.MESSAGE: _message,
    states.Category.VISIT: _visit,
    states.Category.CALL: _call,
}


class TicketClosed(Conflict):
    code = "ticket_closed"
    title = N_("Ticket closed")


def ticket_not_found() -> NotFound:
    return NotFound(_("No such ticket."), code="ticket_not_found")


def open_ticket(principal: Principal, body: dict) -> dict:
    category, related_id = body["category"], body.get("related_id")
    subject = " ".join(body["subject"].split())  # one line: it is an email's subject
    if not subject:
        raise InvalidRequest(_("subject is required."),
                             errors=[{"field": "subject", "problem": _("is required")}])
    facility_id = body.get("facility_id")
    if related_id is not None:
        related = _related(principal, category, related_id)
        if facility_id is not None and facility_id != related.facility_id:
            raise InvalidRequest(_("facility_id differs from the related object's facility."),
                                 errors=[{"field": "facility_id",
                                          "problem": _("is not where the related object is")}])
        facility_id = related.facility_id
    elif facility_id is not None and facilities.facility(facility_id) is None:
        raise NotFound(_("No such facility."), code="facility_not_found")
    now = clock.now()
    days = targets.target_days(category)
    due = clock.iso(targets.respond_by(now, days, _zone(facility_id)))
    ticket_id = secrets.new_id("tkt_")
    account = account_by_id(principal.account_id)
    ticket = Ticket(ticket_id, account_id=principal.account_id, family_name=account.full_name,
                    facility_id=facility_id, category=category, subject=subject,
                    body=body["body"], related_id=related_id, status=states.OPEN,
                    respond_by=due, created_at=clock.iso(now), updated_at=clock.iso(now),
                    created_key=f"{clock.iso_precise(now)}#{ticket_id}", reply_count=0,
                    language=i18n.current(),
                    queue_key=store.queue_key(facility_id, states.OPEN),
                    queue_sort=store.queue_sort(due, ticket_id))
    store.create(ticket)
    return render_for_family(ticket)


def own_tickets(principal: Principal, limit: int, cursor: str | None) -> dict:
    return store.tickets_of_account(principal.account_id, limit, cursor, render_for_family)


def own_ticket(principal: Principal, ticket_id: str, limit: int, cursor: str | None) -> dict:
    found = _own(principal, ticket_id)
    return {**render_for_family(found),
            "replies": store.replies(ticket_id, limit, cursor, render_reply)}


def staff_ticket(principal: Principal, ticket_id: str, limit: int, cursor: str | None) -> dict:
    found = _answerable(principal, ticket_id)
    return {**render_for_staff(found),
            "replies": store.replies(ticket_id, limit, cursor, render_reply)}


def staff_queue(principal: Principal, facility_id: str | None, status: str, limit: int,
                cursor: str | None) -> dict:
    """Staff see their facility's queue; admins one facility's (``facility_id``) or, without
    one, the operator's (tickets about no facility)."""
    if principal.role != "admin" or facility_id is not None:
        facility_id = facilities.facility_in_charge(principal, facility_id)
    return store.queue(facility_id, status, limit, cursor, render_for_staff)


def family_reply(principal: Principal, ticket_id: str, text: str) -> dict:
    return _reply(principal, _own(principal, ticket_id), text, by_staff=False)


def staff_reply(principal: Principal, ticket_id: str, text: str) -> dict:
    return _reply(principal, _answerable(principal, ticket_id), text, by_staff=True)


def close(principal: Principal, ticket_id: str) -> dict:
    """Closing a closed ticket changes nothing (idempotent by its object)."""
    found = _answerable(principal, ticket_id)
    for _attempt in range(2):
        if found.status == states.CLOSED:
            return render_for_staff(found)
        entry = audit.entry(f"ticket#{ticket_id}", principal, "close", found.status,
                            states.CLOSED)
        try:
            store.close(found, entry, clock.iso())
            return render_for_staff(store.ticket(ticket_id))
        except StateChanged:
            found = store.ticket(ticket_id)
    raise Conflict(_("The ticket is changing right now; try again."), code="ticket_busy")


# --- inside -------------------------------------------------------------------------------

def _related(principal: Principal, category: str, related_id: str) -> Related:
    if category not in states.RELATED_KINDS:
        raise InvalidRequest(
            _("related_id names a deposit, message, visit or call; not for this category."),
            errors=[{"field": "related_id", "problem": _("is only for deposit, message, visit "
                                                         "and call tickets")}])
    lookup = RELATED_LOOKUPS.get(category)
    related = lookup(related_id) if lookup else None
    if related is None or related.account_id != principal.account_id:
        # Someone else's object does not exist for you: one answer for both.
        raise NotFound(_("The related object does not exist or is not yours."),
                       code="related_not_found")
    return related


def _zone(facility_id: str | None) -> str | None:
    return facilities.time_zone_of(facility_id) if facility_id else None


def _own(principal: Principal, ticket_id: str) -> Ticket:
    found = store.ticket(ticket_id)
    if found is None or found.account_id != principal.account_id:
        raise ticket_not_found()
    return found


def _answerable(principal: Principal, ticket_id: str) -> Ticket:
    """Staff of the ticket's facility, or any admin; to anyone else it does not exist."""
    found = store.ticket(ticket_id)
    if found is None or (principal.role != "admin"
                         and (found.facility_id is None
                              or found.facility_id != principal.facility_id)):
        raise ticket_not_found()
    return found


def _reply(principal: Principal, found: Ticket, text: str, by_staff: bool) -> dict:
    author = account_by_id(principal.account_id)
    for _attempt in range(2):
        if found.status == states.CLOSED:
            raise TicketClosed(_("This ticket is closed; open a new one if you still need help."))
        to_status = states.after_reply(found.status, by_staff)
        now = clock.now()
        due = found.respond_by
        if to_status != found.status and to_status == states.OPEN:  # reopened: a new target
            due = clock.iso(targets.respond_by(now, targets.target_days(found.category),
                                               _zone(found.facility_id)))
        entry = (audit.entry(f"ticket#{found.ticket_id}", principal, "reply", found.status,
                             to_status) if to_status != found.status else None)
        reply_id = secrets.new_id("rpl_")
        reply = Reply(found.ticket_id, f"{clock.iso_precise(now)}#{reply_id}", reply_id=reply_id,
                      author_id=principal.account_id, author_role=principal.role,
                      author_name=author.full_name if author else "", body=text,
                      created_at=clock.iso(now))
        try:
            store.add_reply(found, reply, to_status, due, entry, clock.iso(now))
        except StateChanged:
            found = store.ticket(found.ticket_id)
            continue
        _email_family(found, reply, due, by_staff)
        return {**(render_for_staff if by_staff else render_for_family)(
            store.ticket(found.ticket_id)), "reply": render_reply(reply)}
    raise Conflict(_("The ticket is changing right now; try again."), code="ticket_busy")


def _email_family(found: Ticket, reply: Reply, respond_by: str, by_staff: bool) -> None:
    family = account_by_id(found.account_id)
    if family is None:
        return
    notifier().email(family.email, "support_reply", language=family.language or found.language,
                     requester=not by_staff, full_name=family.full_name,
                     ticket_id=found.ticket_id, ticket_subject=found.subject,
                     reply_body=reply.body, from_staff=by_staff, respond_by=respond_by,
                     timezone=_zone(found.facility_id))


def render_for_family(ticket: Ticket) -> dict:
    return {"ticket_id": ticket.ticket_id, "category": ticket.category,
            "subject": ticket.subject, "body": ticket.body, "related_id": ticket.related_id,
            "facility_id": ticket.facility_id, "status": ticket.status,
            "respond_by": ticket.respond_by, "created_at": ticket.created_at,
            "updated_at": ticket.updated_at, "reply_count": int(ticket.reply_count or 0)}


def render_for_staff(ticket: Ticket) -> dict:
    overdue = ticket.status == states.OPEN and ticket.respond_by < clock.iso()
    return {**render_for_family(ticket), "account_id": ticket.account_id,
            "family_name": ticket.family_name, "overdue": overdue}


def render_reply(reply: Reply) -> dict:
    return {"reply_id": reply.reply_id, "author_role": reply.author_role,
            "author_name": reply.author_name, "body": reply.body, "created_at": reply.created_at}
