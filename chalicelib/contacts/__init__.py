"""Contacts: the approved relationships between family accounts and inmates, which messages
(and later visits, calls and media) require.  A family asks; the inmate's facility decides once.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
"""
from chalicelib.contacts import datarights as _datarights  # noqa: F401 (registers its Holding)
from chalicelib.contacts.service import AlreadyDecided, contact_not_found
from chalicelib.contacts.states import CONTACT_APPROVED
from chalicelib.contacts.store import Contact
from chalicelib.contacts.store import contact as contact_by_id

__all__ = ["AlreadyDecided", "CONTACT_APPROVED", "Contact", "contact_by_id", "contact_not_found"]
