"""The states of a contact: a family asks, the facility decides once."""
from __future__ import annotations

CONTACT_PENDING = "pending"
CONTACT_APPROVED = "approved"
CONTACT_DENIED = "denied"
CONTACT_STATUSES = (CONTACT_PENDING, CONTACT_APPROVED, CONTACT_DENIED)
CONTACT_DECISIONS = {"approve": CONTACT_APPROVED, "deny": CONTACT_DENIED}
