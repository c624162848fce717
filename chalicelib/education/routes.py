"""HTTP routes of education (docs/api.md "Education").

Inmates (kiosk sessions) read their facility's catalog, enrol, complete lessons and share their
progress; staff keep the catalog; a family sees what an inmate shared with its contact.
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.core import lazy
from chalicelib.core.i18n import LANGUAGES
from chalicelib.facilities import INMATE_ROLE
from chalicelib.web.endpoint import (FACILITY_QUERY, KIOSK_KEY, PAGINATION, STAFF_OR_ADMIN,
                                     ApiRequest, Example, endpoint)
from chalicelib.web.schema import (BOOLEAN, NULLABLE_STRING, named, obj, page_of, string,
                                   written_text)

service = lazy.module("chalicelib.education.service")

bp = Blueprint(__name__)

DEFAULT_LIMIT = 20
MAX_LESSONS = 200
FAMILY, INMATE = ("family",), (INMATE_ROLE,)
INTEGER = {"type": "integer"}
COURSE_FIELDS = {"course_id": string(), "facility_id": string(), "title": string(),
                 "provider": string(), "language": string(), "lesson_count": INTEGER,
                 "updated_at": string()}
COURSE = named("Course", obj(COURSE_FIELDS))
PROGRESS = named("CourseProgress", obj({"completed": INTEGER, "total": INTEGER,
                                        "percent": INTEGER}))
CERTIFICATE = named("Certificate", {"type": ["object", "null"], "additionalProperties": False,
                                    "properties": {"certificate_id": string(),
                                                   "issued_at": string()}})
COURSE_PROGRESS = named("CourseWithProgress", obj({
    **COURSE_FIELDS,
    "lessons": {"type": "array", "items": obj({"number": INTEGER, "title": string(),
                                               "completed": BOOLEAN})},
    "enrolled": BOOLEAN, "enrolled_at": NULLABLE_STRING, "progress": PROGRESS,
    "certificate": CERTIFICATE}))
SHARED_COURSE = named("SharedCourse", obj({
    "course_id": string(), "shared_at": string(), "title": NULLABLE_STRING,
    "provider": NULLABLE_STRING, "language": NULLABLE_STRING,
    "progress": {"anyOf": [PROGRESS, {"type": "null"}]}, "certificate": CERTIFICATE}))

# Examples for the document (docs/api.md, GET /docs), shared by the operations that show them.
KIOSK_HEADER = {"X-Kiosk-Key": "kio_demo.demo-kiosk-key-change-me-7Qm2xV9pL4tR8wZ1"}
COURSE_EXAMPLE = {"course_id": "ged-math-basics", "facility_id": "demo-county",
                  "title": "GED Math: the basics", "provider": "Demo County Adult Education",
                  "language": "en", "lesson_count": 2, "updated_at": "2026-12-01T09:00:00Z"}
PROGRESS_EXAMPLE = {
    **COURSE_EXAMPLE,
    "lessons": [{"number": 1, "title": "Whole numbers", "completed": True},
                {"number": 2, "title": "Fractions and decimals", "completed": False}],
    "enrolled": True, "enrolled_at": "2026-12-01T10:00:00Z",
    "progress": {"completed": 1, "total": 2, "percent": 50}, "certificate": None,
}


def _page_args(request: ApiRequest) -> tuple[int, str | None]:
    return request.query.get("limit", DEFAULT_LIMIT), request.query.get("cursor")


@endpoint(bp, "PUT", "/v1/staff/courses/{course_id}", summary="Add or replace a course",
          tag="staff", roles=STAFF_OR_ADMIN, query=obj(optional=FACILITY_QUERY),
          body=obj({"title": written_text(1, 200), "provider": written_text(1, 200),
                    "language": string(enum=list(LANGUAGES)),
                    "lessons": {"type": "array", "minItems": 1, "maxItems": MAX_LESSONS,
                                "items": obj({"title": written_text(1, 200)})}}),
          response=COURSE,
          description=(
              "Staff keep their facility's catalog: the whole course (title, provider, language, "
              "lessons in order, numbered from 1) under an id they choose (lowercase letters, "
              "digits, dashes), created or replaced; inmates' progress counts the lessons the "
              "course still has."),
          example=Example(
              params={"course_id": "ged-math-basics"},
              request={"title": COURSE_EXAMPLE["title"], "provider": COURSE_EXAMPLE["provider"],
                       "language": "en", "lessons": [{"title": "Whole numbers"},
                                                     {"title": "Fractions and decimals"}]},
              response=COURSE_EXAMPLE))
def put_course(request: ApiRequest, course_id: str):
    return service.put_course(request.principal, request.query.get("facility_id"), course_id,
                              request.body)


@endpoint(bp, "GET", "/v1/inmate/courses", summary="The facility's courses", tag="inmate",
          roles=INMATE, query=obj(optional=PAGINATION), response=page_of(COURSE),
          headers=(KIOSK_KEY,),
          description="The catalog of the inmate's facility, on the kiosk.",
          example=Example(params=KIOSK_HEADER,
                          response={"items": [COURSE_EXAMPLE], "next_cursor": None}))
def catalog(request: ApiRequest):
    return service.catalog(request.principal, *_page_args(request))


@endpoint(bp, "GET", "/v1/inmate/courses/{course_id}", summary="A course and my progress",
          tag="inmate", roles=INMATE, response=COURSE_PROGRESS, headers=(KIOSK_KEY,),
          problems=("course_not_found",),
          description=(
              "The course's lessons, which ones the inmate completed, and the certificate record "
              "once every lesson is done."),
          example=Example(params={"course_id": "ged-math-basics", **KIOSK_HEADER},
                          response=PROGRESS_EXAMPLE))
def course(request: ApiRequest, course_id: str):
    return service.progress(request.principal, course_id)


@endpoint(bp, "POST", "/v1/inmate/courses/{course_id}/enroll", summary="Enrol in a course",
          tag="inmate", roles=INMATE, response=COURSE_PROGRESS,
          headers=(KIOSK_KEY,), problems=("course_not_found",),
          description="Enrols the inmate (enrolling again changes nothing) and shows the progress.",
          example=Example(params={"course_id": "ged-math-basics", **KIOSK_HEADER},
                          response={**PROGRESS_EXAMPLE,
                                    "lessons": [{**lesson, "completed": False}
                                                for lesson in PROGRESS_EXAMPLE["lessons"]],
                                    "progress": {"completed": 0, "total": 2, "percent": 0}}))
def enroll(request: ApiRequest, course_id: str):
    return service.enrol(request.principal, course_id)


@endpoint(bp, "POST", "/v1/inmate/courses/{course_id}/lessons/{n}/complete",
          summary="Complete a lesson", tag="inmate", roles=INMATE, response=COURSE_PROGRESS,
          headers=(KIOSK_KEY,), problems=("course_not_found", "lesson_not_found", "not_enrolled"),
          description=(
              "Marks lesson `n` (from 1) done; doing it again changes nothing. When every lesson "
              "is done the answer carries the certificate record. A lesson the course does not "
              "have: 404 `lesson_not_found`; before enrolling: 409 `not_enrolled`."),
          example=Example(params={"course_id": "ged-math-basics", "n": "1", **KIOSK_HEADER},
                          response=PROGRESS_EXAMPLE))
def complete(request: ApiRequest, course_id: str, n: str):
    return service.complete_lesson(request.principal, course_id, n)


@endpoint(bp, "POST", "/v1/inmate/courses/{course_id}/share", summary="Share my progress",
          tag="inmate", roles=INMATE, body=obj({"contact_id": string(1, 64)}),
          response=named("CourseShared", obj({"course_id": string(), "contact_id": string(),
                                              "shared_at": string()})),
          headers=(KIOSK_KEY,), problems=("course_not_found", "contact_not_found", "not_enrolled"),
          description=(
              "Lets one of the inmate's approved contacts see this course's progress "
              "(`GET /v1/contacts/{contact_id}/courses`)."),
          example=Example(params={"course_id": "ged-math-basics", **KIOSK_HEADER},
                          request={"contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA"},
                          response={"course_id": "ged-math-basics",
                                    "contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA",
                                    "shared_at": "2026-12-01T12:00:00Z"}))
def share(request: ApiRequest, course_id: str):
    return service.share(request.principal, course_id, request.body["contact_id"])


@endpoint(bp, "GET", "/v1/contacts/{contact_id}/courses", summary="Courses shared with me",
          tag="contacts", roles=FAMILY, query=obj(optional=PAGINATION),
          response=page_of(SHARED_COURSE), problems=("contact_not_found",),
          description="The courses the inmate of this contact chose to share, with progress.",
          example=Example(
              params={"contact_id": "con_7fJ2mQ9xL4vR8tN1pZ6wYA"},
              response={"items": [{"course_id": "ged-math-basics",
                                   "shared_at": "2026-12-01T12:00:00Z",
                                   "title": COURSE_EXAMPLE["title"],
                                   "provider": COURSE_EXAMPLE["provider"], "language": "en",
                                   "progress": PROGRESS_EXAMPLE["progress"],
                                   "certificate": None}],
                        "next_cursor": None}))
def shared_courses(request: ApiRequest, contact_id: str):
    return service.shared_with_family(request.principal, contact_id, *_page_args(request))
