"""Contacts: the approved relationships between family accounts and inmates, which messages
(and later visits, calls and media) require.  A family asks; the inmate's facility decides once.
The numbers a family takes calls on belong to its approved contacts (``call_numbers``).

This module is the capability's face: the names in ``__all__`` are what other packages may use.
Its names load on first use and its registrations before a registry is read
(``core.lazy``): importing the face costs a cold start nothing.
"""
from chalicelib.core import lazy

__all__ = ["AlreadyDecided", "CONTACT_APPROVED", "Contact", "contact_by_id", "contact_not_found",
           # the family's own contact or 404; refusing a service until it is approved
           "family_contact", "ContactNotApproved",
           # the one contact of an (account, inmate) pair, read in a caller's TransactGet
           "ContactClaim", "claim_key",
           # calls: may this inmate call this number (one consistent read)?
           "CallNumber", "CallNumberStatus", "approved_number"]

__getattr__ = lazy.face(__name__, {
    "call_numbers": "CallNumber, approved_number",
    "service": "AlreadyDecided, ContactNotApproved, contact_not_found, family_contact",
    "states": "CONTACT_APPROVED, CallNumberStatus",
    "store": "Contact, ContactClaim, claim_key, contact as contact_by_id",
})
lazy.register_later("datarights", "chalicelib.contacts.datarights")
