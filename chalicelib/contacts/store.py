"""The contacts tables, and the writes that must be atomic.

* ``contacts``: one item per request to connect a family account with an inmate.  Its
  ``review_key`` (``<facility>#<status>``) feeds the staff queue index; ``approved_inmate_id`` is
  set only once approved, so the inmate's sparse index lists approved contacts only.
* ``contact-claims``: one item per (account, inmate) pair, created in the same transaction as the
  contact with ``attribute_not_exists``: a pair has at most one contact, under any concurrency.
"""
from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.contacts import states
from chalicelib.core import audit
from chalicelib.core.audit import ReviewEntry
from chalicelib.core.store import (StoredModel, BaseMeta, StateChanged, TableName, get_or_none, index_page,
                                   register, write_together)


# --- contacts ------------------------------------------------------------------------------

class ContactsByReviewKey(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_review_key"
        projection = AllProjection()

    review_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class ContactsByAccount(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class ApprovedContactsByInmate(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_approved_inmate"
        projection = AllProjection()

    approved_inmate_id = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


@register
class Contact(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("contacts")

    contact_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    inmate_id = UnicodeAttribute()
    facility_id = UnicodeAttribute()
    status = UnicodeAttribute()
    review_key = UnicodeAttribute()
    approved_inmate_id = UnicodeAttribute(null=True)
    # Shown to staff and the inmate without a read per row.
    family_name = UnicodeAttribute()
    inmate_name = UnicodeAttribute()
    inmate_number = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_key = UnicodeAttribute()  # "<created, microseconds>#<contact_id>": orders the lists
    reason = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    by_review_key = ContactsByReviewKey()
    by_account = ContactsByAccount()
    by_approved_inmate = ApprovedContactsByInmate()


@register
class ContactClaim(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("contact-claims")

    pair = UnicodeAttribute(hash_key=True)  # "<account_id>#<inmate_id>"
    contact_id = UnicodeAttribute()


class ContactExists(Exception):
    def __init__(self, contact_id: str | None) -> None:
        super().__init__(contact_id)
        self.contact_id = contact_id


def claim_key(account_id: str, inmate_id: str) -> str:
    return f"{account_id}#{inmate_id}"


def create_contact(contact: Contact) -> None:
    claim = ContactClaim(claim_key(contact.account_id, contact.inmate_id),
                         contact_id=contact.contact_id)

    def build(transaction):
        transaction.save(claim, condition=ContactClaim.pair.does_not_exist())
        transaction.save(contact, condition=Contact.contact_id.does_not_exist())

    try:
        write_together(build, {ContactClaim: lambda: ContactExists(None)})
    except ContactExists:
        existing = get_or_none(ContactClaim, claim.pair)
        raise ContactExists(existing.contact_id if existing else None) from None


def decide_contact(contact: Contact, to_status: str, entry: ReviewEntry) -> None:
    actions = [Contact.status.set(to_status),
               Contact.review_key.set(audit.review_key(contact.facility_id, to_status)),
               Contact.decided_at.set(entry.at), Contact.decided_by.set(entry.actor_id)]
    if entry.reason is not None:
        actions.append(Contact.reason.set(entry.reason))
    if to_status == states.CONTACT_APPROVED:
        actions.append(Contact.approved_inmate_id.set(contact.inmate_id))

    def build(transaction):
        transaction.update(contact, actions=actions,
                           condition=Contact.status == states.CONTACT_PENDING)
        audit.append(transaction, entry)

    write_together(build, {Contact: StateChanged})


def contact(contact_id: str) -> Contact | None:
    return get_or_none(Contact, contact_id)


def contacts_of_account(account_id: str, limit: int, cursor: str | None, render) -> dict:
    return index_page(Contact.by_account, account_id, limit, cursor, render, newest_first=True)


def contacts_in_review(facility_id: str, status: str, limit: int, cursor: str | None,
                       render) -> dict:
    return index_page(Contact.by_review_key, audit.review_key(facility_id, status), limit,
                      cursor, render, newest_first=False)


def approved_contacts_of_inmate(inmate_id: str, limit: int, cursor: str | None, render) -> dict:
    return index_page(Contact.by_approved_inmate, inmate_id, limit, cursor, render,
                      newest_first=True)
