"""The demo's open ticket (api.md "Local demo"): asked by the demo family at the demo facility,
through the same service a family's ``POST /v1/support/tickets`` uses."""
from __future__ import annotations

from chalicelib.core.identity import Principal
from chalicelib.support import service, store

DEMO_TICKET = {"category": "other", "subject": "Visiting hours on holidays",
               "body": "Are the visiting hours the same on public holidays?"}


def seed_demo_ticket(account_id: str, facility_id: str) -> str:
    """The family's first ticket, opened at ``facility_id`` unless it has one already."""
    for existing in store.all_tickets_of_account(account_id):
        return existing.ticket_id
    principal = Principal(account_id, "family", "seed")
    return service.open_ticket(principal, {**DEMO_TICKET, "facility_id": facility_id})["ticket_id"]
