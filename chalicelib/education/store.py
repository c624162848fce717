"""The education tables.

* ``courses``: a facility's catalog, keyed by facility and the course id its staff choose.
* ``course-enrolments``: one item per inmate and course (``<facility>#<course>``): the lessons
  done (a number set, added to atomically) and, once every lesson is done, the certificate,
  written at most once (``attribute_not_exists``) however many completions race.
* ``course-shares``: one item per contact a course's progress is shared with, so the family's
  list is one Query of its contact's partition.
"""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberSetAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.core.store import (BaseMeta, StoredModel, TableName, decode_cursor, get_or_none,
                                   page, register, written)


@register
class Course(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("courses")

    facility_id = UnicodeAttribute(hash_key=True)
    course_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()  # the course's title (``title`` in the API)
    provider = UnicodeAttribute()
    language = UnicodeAttribute()
    lessons = ListAttribute(of=UnicodeAttribute)  # lesson titles; lesson n is lessons[n - 1]
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()


@register
class Enrolment(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("course-enrolments")

    inmate_id = UnicodeAttribute(hash_key=True)
    course_key = UnicodeAttribute(range_key=True)  # "<facility_id>#<course_id>"
    facility_id = UnicodeAttribute()
    course_id = UnicodeAttribute()
    enrolled_at = UnicodeAttribute()
    completed = NumberSetAttribute(null=True)  # lesson numbers (DynamoDB stores no empty set)
    certificate_id = UnicodeAttribute(null=True)
    certificate_issued_at = UnicodeAttribute(null=True)


class SharesByAccount(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    shared_at = UnicodeAttribute(range_key=True)


@register
class CourseShare(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("course-shares")

    contact_id = UnicodeAttribute(hash_key=True)
    course_key = UnicodeAttribute(range_key=True)
    account_id = UnicodeAttribute()  # the family side of the contact (data rights)
    inmate_id = UnicodeAttribute()
    facility_id = UnicodeAttribute()
    course_id = UnicodeAttribute()
    shared_at = UnicodeAttribute()
    by_account = SharesByAccount()


def course_key(facility_id: str, course_id: str) -> str:
    return f"{facility_id}#{course_id}"


def course(facility_id: str, course_id: str) -> Course | None:
    return get_or_none(Course, facility_id, course_id)


def catalog(facility_id: str, limit: int, cursor: str | None, render) -> dict:
    scope = f"courses:{facility_id}"
    results = Course.query(facility_id, limit=limit,
                           last_evaluated_key=decode_cursor(cursor, scope))
    return page(results, scope, render)


def enrolment(inmate_id: str, facility_id: str, course_id: str) -> Enrolment | None:
    return get_or_none(Enrolment, inmate_id, course_key(facility_id, course_id))


def enrol(item: Enrolment) -> bool:
    """False when the inmate was enrolled already (the first enrolment is kept)."""
    return written(lambda: item.save(condition=Enrolment.course_key.does_not_exist()))


def complete_lesson(item: Enrolment, number: int) -> Enrolment:
    """Adds ``number`` to the lessons done (idempotent: a set) and returns the item as now stored."""
    item.update(actions=[Enrolment.completed.add({number})],
                condition=Enrolment.course_key.exists())
    return item


def issue_certificate(item: Enrolment, certificate_id: str, at: str) -> bool:
    """The certificate, once: False when another completion issued it first."""
    return written(lambda: item.update(
        actions=[Enrolment.certificate_id.set(certificate_id),
                 Enrolment.certificate_issued_at.set(at)],
        condition=Enrolment.certificate_id.does_not_exist()))


def share(item: CourseShare) -> None:
    item.save()  # sharing again with the same contact only refreshes the time


def shares_of_contact(contact_id: str, limit: int, cursor: str | None, render) -> dict:
    scope = f"course-shares:{contact_id}"
    results = CourseShare.query(contact_id, limit=limit, consistent_read=True,
                                last_evaluated_key=decode_cursor(cursor, scope))
    return page(results, scope, render)


def all_shares_of_account(account_id: str):
    return CourseShare.by_account.query(account_id)
