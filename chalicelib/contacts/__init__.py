"""Contacts: the approved relationships between family accounts and inmates, which messages
(and later visits, calls and media) require.  A family asks; the inmate's facility decides once.
The numbers a family takes calls on belong to its approved contacts (``call_numbers``).

This module is the capability's face: the names in ``__all__`` are what other packages may use.
"""
from chalicelib.contacts.call_numbers import CallNumber, approved_number
from chalicelib.contacts.service import AlreadyDecided, contact_not_found
from chalicelib.contacts.states import CONTACT_APPROVED, CallNumberStatus
from chalicelib.contacts.store import Contact, ContactClaim, claim_key
from chalicelib.contacts.store import contact as contact_by_id

__all__ = ["AlreadyDecided", "CONTACT_APPROVED", "Contact", "contact_by_id", "contact_not_found",
           # the one contact of an (account, inmate) pair, read in a caller's TransactGet
           "ContactClaim", "claim_key",
           # calls: may this inmate call this number (one consistent read)?
           "CallNumber", "CallNumberStatus", "approved_number"]


def _register_call_numbers() -> None:
    from chalicelib.contacts import call_numbers
    from chalicelib.core import datarights
    from chalicelib.core.i18n import N_

    def export(account_id: str) -> dict[str, list[dict]]:
        return {"call_numbers": [call_numbers.render(record) for record
                                 in call_numbers.CallNumber.by_account.query(account_id)]}

    def erase(account_id: str) -> None:
        for record in call_numbers.CallNumber.by_account.query(account_id):
            record.delete()

    datarights.register(datarights.Holding(
        "call_numbers", (call_numbers.CallNumber,), export, erase,
        kept=(N_("Nothing: your call numbers are deleted."),)))


_register_call_numbers()
