"""What support holds about an account, for export and erasure (``core.datarights``): the
account's tickets and every reply on them.  Tickets are not money records, so erasure deletes
them (with their replies) rather than keeping pseudonymised copies."""
from __future__ import annotations

from chalicelib.core import datarights
from chalicelib.core.datarights import Holding
from chalicelib.support import service, store
from chalicelib.support.store import Reply, Ticket


def export(account_id: str) -> dict[str, list[dict]]:
    tickets, replies = [], []
    for ticket in store.all_tickets_of_account(account_id):
        tickets.append(service.render_for_family(ticket))
        replies += [{"ticket_id": ticket.ticket_id, **service.render_reply(reply)}
                    for reply in store.all_replies(ticket.ticket_id)]
    return {"support_tickets": tickets, "support_replies": replies}


def erase(account_id: str) -> None:
    for ticket in list(store.all_tickets_of_account(account_id)):
        for reply in list(store.all_replies(ticket.ticket_id)):
            reply.delete()
        ticket.delete()


HOLDING = Holding("support", (Ticket, Reply), export, erase)
datarights.register(HOLDING)
