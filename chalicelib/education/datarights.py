"""What education holds about an account (``core.datarights``): the course progress inmates
shared with the account's contacts.  Erasure ends those shares; the catalog and the inmates'
own progress stay, as they belong to the facility and the inmate."""
from __future__ import annotations

from chalicelib.core import datarights
from chalicelib.core.datarights import Holding
from chalicelib.education import store
from chalicelib.education.store import Course, CourseShare, Enrolment


def export(account_id: str) -> dict[str, list[dict]]:
    return {"course_shares": [
        {"contact_id": share.contact_id, "course_id": share.course_id,
         "facility_id": share.facility_id, "shared_at": share.shared_at}
        for share in store.all_shares_of_account(account_id)]}


def erase(account_id: str) -> None:
    for share in list(store.all_shares_of_account(account_id)):
        share.delete()


# Nothing of the family stays: catalogs and progress are the facility's and the inmate's.
HOLDING = Holding("education", (Course, Enrolment, CourseShare), export, erase)
datarights.register(HOLDING)
