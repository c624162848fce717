"""Contacts: a family account asks to connect with an inmate; staff of the inmate's facility
approve or deny it once, with a reason for a denial. Only approved contacts exchange messages.
Decisions: ``docs/decisions/contacts.md``."""
from __future__ import annotations

from chalicelib.accounts import account_by_id, record_activity
from chalicelib.contacts import states, store
from chalicelib.contacts.store import Contact
from chalicelib.core import audit, clock, secrets
from chalicelib.core.errors import Conflict, Forbidden, InvalidRequest, NotFound
from chalicelib.core.identity import Client, Principal
from chalicelib.core.store import StateChanged
from chalicelib.core.i18n import N_, _
from chalicelib import facilities


class AlreadyDecided(Conflict):
    code = "already_decided"
    title = N_("Already decided")


def contact_not_found() -> NotFound:
    return NotFound(_("No such contact."), code="contact_not_found")


class ContactNotApproved(Forbidden):
    """A service that needs the facility's approval first (messages, photos); the detail
    names the service."""
    code = "contact_not_approved"
    title = N_("Contact not approved")


def family_contact(account_id: str, contact_id: str) -> Contact:
    """The family's own contact, or 404 (another family's is not found either)."""
    contact = store.contact(contact_id)
    if contact is None or contact.account_id != account_id:
        raise contact_not_found()
    return contact


def request_contact(principal: Principal, inmate_id: str, client: Client) -> dict:
    inmate = facilities.inmate(inmate_id)
    if inmate is None:
        raise NotFound(_("No such inmate."), code="inmate_not_found")
    account = account_by_id(principal.account_id)
    now = clock.now()
    contact_id = secrets.new_id("con_")
    contact = Contact(contact_id, account_id=principal.account_id,
                      inmate_id=inmate.inmate_id, facility_id=inmate.facility_id,
                      status=states.CONTACT_PENDING,
                      review_key=audit.review_key(inmate.facility_id, states.CONTACT_PENDING),
                      family_name=account.full_name, inmate_name=inmate.full_name,
                      inmate_number=inmate.inmate_number, created_at=clock.iso(now),
                      created_key=f"{clock.iso_precise(now)}#{contact_id}")
    try:
        store.create_contact(contact)
    except store.ContactExists as exists:
        raise Conflict(_("You already asked to connect with this person."), code="contact_exists",
                       contact_id=exists.contact_id) from None
    record_activity(principal.account_id, "contact_requested", client,
                    contact_id=contact.contact_id, inmate_id=inmate.inmate_id)
    return {"contact_id": contact.contact_id, "status": contact.status}


def own_contacts(principal: Principal, limit: int, cursor: str | None) -> dict:
    return store.contacts_of_account(principal.account_id, limit, cursor, render_for_family)


def facility_contacts(principal: Principal, status: str, limit: int, cursor: str | None) -> dict:
    """Oldest first: the queue is worked in the order people asked."""
    return store.contacts_in_review(principal.facility_id, status, limit, cursor, render_for_staff)


def inmate_contacts(principal: Principal, limit: int, cursor: str | None) -> dict:
    return store.approved_contacts_of_inmate(principal.account_id, limit, cursor,
                                             render_for_inmate)


def decide(principal: Principal, contact_id: str, decision: str, reason: str | None) -> dict:
    contact = store.contact(contact_id)
    if contact is None or contact.facility_id != principal.facility_id:
        raise contact_not_found()
    to_status = states.CONTACT_DECISIONS[decision]
    if to_status == states.CONTACT_DENIED and not (reason and reason.strip()):
        raise InvalidRequest(_("reason is required to deny a contact."),
                             errors=[{"field": "reason", "problem": _("is required to deny")}])
    if contact.status != states.CONTACT_PENDING:
        raise AlreadyDecided(_("This contact was already decided (%(status)s).",
                               status=contact.status))
    entry = audit.entry(f"contact#{contact_id}", principal, decision, contact.status, to_status,
                         reason=reason)
    try:
        store.decide_contact(contact, to_status, entry)
    except StateChanged:
        raise AlreadyDecided(_("Someone decided on this contact a moment ago.")) from None
    return render_for_staff(store.contact(contact_id))


def render_for_family(contact: Contact) -> dict:
    return {"contact_id": contact.contact_id, "inmate_id": contact.inmate_id,
            "inmate_name": contact.inmate_name, "inmate_number": contact.inmate_number,
            "facility_id": contact.facility_id, "status": contact.status,
            "reason": contact.reason, "created_at": contact.created_at,
            "decided_at": contact.decided_at}


def render_for_staff(contact: Contact) -> dict:
    return {**render_for_family(contact), "account_id": contact.account_id,
            "family_name": contact.family_name, "decided_by": contact.decided_by}


def render_for_inmate(contact: Contact) -> dict:
    return {"contact_id": contact.contact_id, "family_name": contact.family_name,
            "status": contact.status, "created_at": contact.created_at}
