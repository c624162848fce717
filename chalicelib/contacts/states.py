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


class CallNumberStatus(StrEnum):
    """A family's call number: the SMS code proves the phone, then (by facility rule) staff
    approve it; removing it deletes it at once."""
    PENDING_VERIFICATION = "pending_verification"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    DENIED = "denied"


CALL_NUMBER_DECISIONS = {"approve": CallNumberStatus.APPROVED, "deny": CallNumberStatus.DENIED}
