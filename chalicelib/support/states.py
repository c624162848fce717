"""The states of a support ticket and the transitions between them.

``open`` (waiting for staff) → ``answered`` (staff replied) → ``closed`` (staff closed it); a
family reply to an answered ticket opens it again.  A closed ticket takes no reply.  The store
applies each transition as one write conditioned on the state it requires, with its audit line
(``core.audit``) in the same transaction.
"""
from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class Category(StrEnum):
    DEPOSIT = "deposit"
    MESSAGE = "message"
    VISIT = "visit"
    CALL = "call"
    ACCOUNT = "account"
    OTHER = "other"


OPEN, ANSWERED, CLOSED = TicketStatus
TICKET_STATUSES = tuple(TicketStatus)
CATEGORIES = tuple(Category)
# Categories whose ticket may name the object it is about (``related_id``).
RELATED_KINDS = (Category.DEPOSIT, Category.MESSAGE, Category.VISIT, Category.CALL)


def after_reply(status: TicketStatus, by_staff: bool) -> TicketStatus:
    """The status a reply leads to: staff answer; a family reply (re)opens."""
    return ANSWERED if by_staff else OPEN
