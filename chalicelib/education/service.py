"""Education on the kiosk: each facility's staff keep a catalog of courses; an inmate enrols,
completes lessons (numbered from 1) and, once every lesson is done, holds a certificate record;
progress is private to the inmate until shared with one of their approved contacts.
Decisions: docs/decisions/education.md."""
from __future__ import annotations

import re

from chalicelib import contacts, facilities
from chalicelib.core import clock, secrets
from chalicelib.core.errors import Conflict, InvalidRequest, NotFound
from chalicelib.core.i18n import _
from chalicelib.core.identity import Principal
from chalicelib.education import store
from chalicelib.education.store import Course, CourseShare, Enrolment

COURSE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}\Z")
LESSON_NUMBER = re.compile(r"^[0-9]{1,6}\Z")  # ASCII digits only ("²".isdigit() is True)


def course_not_found() -> NotFound:
    return NotFound(_("No such course."), code="course_not_found")


def not_enrolled() -> Conflict:
    return Conflict(_("Enrol in the course first."), code="not_enrolled")


# --- staff: the catalog ------------------------------------------------------------------

def put_course(principal: Principal, facility_id: str | None, course_id: str,
               body: dict) -> dict:
    """Create or replace a course of the facility."""
    facility_id = facilities.facility_in_charge(principal, facility_id)
    if not COURSE_ID.match(course_id):
        raise InvalidRequest(_("course_id has the wrong format."), errors=[
            {"field": "course_id", "problem": _("must be lowercase letters, digits and dashes")}])
    if not body["lessons"]:
        raise InvalidRequest(_("A course has at least one lesson."),
                             errors=[{"field": "lessons", "problem": _("is required")}])
    existing = store.course(facility_id, course_id)
    now = clock.iso()
    course = Course(facility_id, course_id, name=body["title"], provider=body["provider"],
                    language=body["language"],
                    lessons=[lesson["title"] for lesson in body["lessons"]],
                    created_at=existing.created_at if existing else now, updated_at=now,
                    updated_by=principal.account_id)
    course.save()
    return render_course(course)


# --- inmates: catalog, enrolment, lessons, sharing ---------------------------------------

def catalog(principal: Principal, limit: int, cursor: str | None) -> dict:
    return store.catalog(principal.facility_id, limit, cursor, render_course)


def progress(principal: Principal, course_id: str) -> dict:
    course = _course(principal.facility_id, course_id)
    return render_progress(course, store.enrolment(principal.account_id, course.facility_id,
                                                   course_id))


def enrol(principal: Principal, course_id: str) -> dict:
    """Enrolling again changes nothing."""
    course = _course(principal.facility_id, course_id)
    item = Enrolment(principal.account_id, store.course_key(course.facility_id, course_id),
                     facility_id=course.facility_id, course_id=course_id,
                     enrolled_at=clock.iso())
    store.enrol(item)
    return progress(principal, course_id)


def complete_lesson(principal: Principal, course_id: str, number: str) -> dict:
    course = _course(principal.facility_id, course_id)
    if not LESSON_NUMBER.match(number) or not 1 <= int(number) <= len(course.lessons):
        raise NotFound(_("This course has lessons 1 to %(count)s.", count=len(course.lessons)),
                       code="lesson_not_found")
    item = store.enrolment(principal.account_id, course.facility_id, course_id)
    if item is None:
        raise not_enrolled()
    store.complete_lesson(item, int(number))
    if item.certificate_id is None and _all_done(course, item):
        store.issue_certificate(item, secrets.new_id("crt_"), clock.iso())
    return progress(principal, course_id)


def share(principal: Principal, course_id: str, contact_id: str) -> dict:
    """Only with one of the inmate's own approved contacts; anyone else's is not found."""
    course = _course(principal.facility_id, course_id)
    contact = contacts.contact_by_id(contact_id)
    if (contact is None or contact.inmate_id != principal.account_id
            or contact.status != contacts.CONTACT_APPROVED):
        raise contacts.contact_not_found()
    if store.enrolment(principal.account_id, course.facility_id, course_id) is None:
        raise not_enrolled()
    item = CourseShare(contact_id, store.course_key(course.facility_id, course_id),
                       account_id=contact.account_id, inmate_id=principal.account_id,
                       facility_id=course.facility_id, course_id=course_id,
                       shared_at=clock.iso())
    store.share(item)
    return {"course_id": course_id, "contact_id": contact_id, "shared_at": item.shared_at}


# --- families: shared progress -----------------------------------------------------------

def shared_with_family(principal: Principal, contact_id: str, limit: int,
                       cursor: str | None) -> dict:
    contact = contacts.family_contact(principal.account_id, contact_id)
    if contact.status != contacts.CONTACT_APPROVED:  # nothing can have been shared
        return {"items": [], "next_cursor": None}
    return store.shares_of_contact(contact_id, limit, cursor, render_shared)


def render_shared(item: CourseShare) -> dict:
    course = store.course(item.facility_id, item.course_id)
    shown = (render_progress(course, store.enrolment(item.inmate_id, item.facility_id,
                                                     item.course_id))
             if course else {})  # None when withdrawn from the catalog since
    return {"course_id": item.course_id, "shared_at": item.shared_at,
            **{name: shown.get(name) for name in ("title", "provider", "language", "progress",
                                                  "certificate")}}


# --- inside -------------------------------------------------------------------------------

def _course(facility_id: str, course_id: str) -> Course:
    found = store.course(facility_id, course_id) if COURSE_ID.match(course_id) else None
    if found is None:
        raise course_not_found()
    return found


def _done(course: Course, item: Enrolment | None) -> set[int]:
    """The lessons done that the course still has (staff may shorten a course)."""
    return {int(n) for n in (item.completed or ()) if 1 <= n <= len(course.lessons)} \
        if item else set()


def _all_done(course: Course, item: Enrolment) -> bool:
    return len(_done(course, item)) == len(course.lessons)


def render_course(course: Course) -> dict:
    return {"course_id": course.course_id, "facility_id": course.facility_id,
            "title": course.name, "provider": course.provider, "language": course.language,
            "lesson_count": len(course.lessons), "updated_at": course.updated_at}


def render_progress(course: Course, item: Enrolment | None) -> dict:
    done = _done(course, item)
    total = len(course.lessons)
    certificate = ({"certificate_id": item.certificate_id,
                    "issued_at": item.certificate_issued_at}
                   if item is not None and item.certificate_id else None)
    return {**render_course(course),
            "lessons": [{"number": n, "title": title, "completed": n in done}
                        for n, title in enumerate(course.lessons, start=1)],
            "enrolled": item is not None,
            "enrolled_at": item.enrolled_at if item else None,
            "progress": {"completed": len(done), "total": total,
                         "percent": round(100 * len(done) / total) if total else 0},
            "certificate": certificate}
