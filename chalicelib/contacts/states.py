"""The states of a contact and its only transition: a family asks, the facility decides once.

The store applies a decision as one DynamoDB write conditioned on ``pending``, so two staff
members deciding at once cannot both win (the loser gets ``already_decided``).  ``StrEnum``: each
member is the very string stored and sent.
"""
from __future__ import annotations

from enum import StrEnum


class ContactStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


CONTACT_PENDING, CONTACT_APPROVED, CONTACT_DENIED = ContactStatus
CONTACT_STATUSES = tuple(ContactStatus)
CONTACT_DECISIONS = {"approve": CONTACT_APPROVED, "deny": CONTACT_DENIED}
