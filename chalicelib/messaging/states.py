"""The states of messages, and the only transitions between them.

Each transition names the state it requires; the store applies it as one DynamoDB write
conditioned on that state, so two staff members deciding at once cannot both win and a decision
cannot be silently reversed (the loser gets ``already_decided``).  ``StrEnum``: each member is
the very string stored and sent; the module-level names are the members callers use.
"""
from __future__ import annotations

from enum import StrEnum


class MessageStatus(StrEnum):
    """Every message starts in review; staff (or the facility's auto-approval rule) deliver or
    reject it; a message delivered to an inmate becomes read when the inmate opens it."""

    PENDING_REVIEW = "pending_review"
    DELIVERED = "delivered"
    REJECTED = "rejected"
    READ = "read"


class Direction(StrEnum):
    """Who wrote a message: the family member (to the inmate) or the inmate (a reply)."""

    TO_INMATE = "to_inmate"
    TO_FAMILY = "to_family"


PENDING_REVIEW, DELIVERED, REJECTED, READ = MessageStatus
MESSAGE_STATUSES = tuple(MessageStatus)
MESSAGE_DECISIONS = {"approve": DELIVERED, "reject": REJECTED}

TO_INMATE, TO_FAMILY = Direction
