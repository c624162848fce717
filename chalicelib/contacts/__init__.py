"""Contacts: the approved relationships between family accounts and inmates, which messages
(and later visits, calls and media) require.  A family asks; the inmate's facility decides once.
The numbers a family takes calls on belong to its approved contacts (``call_numbers``).

This module is the capability's face: the names in ``__all__`` are what other packages may use.
"""
from chalicelib.contacts import datarights as _datarights  # noqa: F401 (registers its Holding)
from chalicelib.contacts.call_numbers import CallNumber, approved_number
from chalicelib.contacts.service import (AlreadyDecided, ContactNotApproved, contact_not_found,
                                         family_contact)
from chalicelib.contacts.states import CONTACT_APPROVED, CallNumberStatus
from chalicelib.contacts.store import Contact, ContactClaim, claim_key
from chalicelib.contacts.store import contact as contact_by_id

__all__ = ["AlreadyDecided", "CONTACT_APPROVED", "Contact", "contact_by_id", "contact_not_found",
           # the family's own contact or 404; refusing a service until it is approved
           "family_contact", "ContactNotApproved",
           # the one contact of an (account, inmate) pair, read in a caller's TransactGet
           "ContactClaim", "claim_key",
           # calls: may this inmate call this number (one consistent read)?
           "CallNumber", "CallNumberStatus", "approved_number"]

