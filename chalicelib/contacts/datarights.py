"""What contacts holds about a family account, for export and erasure (core.datarights).
Erasure keeps each contact (the facility's record of its decision) under the account's
pseudonym, off the inmate's list of approved contacts, and frees the pair's claim.
Why: docs/decisions/data-rights.md"""
from __future__ import annotations

from chalicelib.contacts import call_numbers
from chalicelib.contacts.call_numbers import CallNumber
from chalicelib.contacts.store import Contact, ContactClaim
from chalicelib.core import datarights
from chalicelib.core.datarights import Holding, Kept
from chalicelib.core.i18n import N_


def export(account_id: str) -> dict[str, list[dict]]:
    return {"contacts": [
        {"contact_id": c.contact_id, "inmate_id": c.inmate_id, "inmate_name": c.inmate_name,
         "inmate_number": c.inmate_number, "facility_id": c.facility_id, "status": c.status,
         "your_name": c.family_name, "created_at": c.created_at, "decided_at": c.decided_at,
         "reason": c.reason}
        for c in Contact.by_account.query(account_id)]}


def erase(account_id: str) -> None:
    name = datarights.pseudonym(account_id)
    for found in Contact.by_account.query(account_id):
        found.update(actions=[Contact.family_name.set(name), Contact.approved_inmate_id.remove()])
        ContactClaim(f"{account_id}#{found.inmate_id}").delete()


def _export_call_numbers(account_id: str) -> dict[str, list[dict]]:
    return {"call_numbers": [call_numbers.render(record)
                             for record in CallNumber.by_account.query(account_id)]}


def _erase_call_numbers(account_id: str) -> None:
    for record in CallNumber.by_account.query(account_id):
        record.delete()


datarights.register(Holding(
    "call_numbers", (CallNumber,), _export_call_numbers, _erase_call_numbers,
    kept=()))  # nothing stays: the numbers are deleted
datarights.register(Holding(
    capability="contacts", models=(Contact, ContactClaim), export=export, erase=erase,
    kept=(Kept(N_("Contact requests and the facility's decisions, under a pseudonym"),
               N_("The facility must be able to show who was approved to write to whom."),
               7 * 365),)))
