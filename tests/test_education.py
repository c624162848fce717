"""Education on the kiosk (issue 17 item 4): staff keep their facility's catalog; an inmate
enrols, completes lessons numbered from 1, gets one certificate record when every lesson is
done, and shares progress with an approved contact, who then (and only then) sees it."""
from __future__ import annotations

from chalicelib.core import datarights
from chalicelib.education import store
from chalicelib.education.store import Course, CourseShare, Enrolment
from tests.messaging_support import ELENA, OTHER_KIOSK_KEY, world  # noqa: F401  (fixture)

COURSE = {"title": "Reading for work", "provider": "County Library", "language": "en",
          "lessons": [{"title": "Forms"}, {"title": "Letters"}, {"title": "Contracts"}]}


def _enrolments() -> list[tuple]:
    return sorted((e.inmate_id, e.course_key, tuple(sorted(e.completed or ())), e.certificate_id)
                  for e in Enrolment.scan())  # tests only


def test_catalog_enrolment_lessons_certificate_and_sharing(world):  # noqa: F811
    api = world.api
    course_path = "/v1/staff/courses/reading-101"
    created = api.call("PUT", course_path, COURSE, token=world.staff)
    assert created.status_code == 200 and created.json["lesson_count"] == 3
    assert api.call("PUT", course_path, COURSE, token=world.staff).status_code == 200
    assert api.call("PUT", "/v1/staff/courses/Bad Id!", COURSE,
                    token=world.staff).status_code == 400
    assert api.call("PUT", course_path, {**COURSE, "lessons": []},
                    token=world.staff).status_code == 400
    # Admins name the facility (?facility_id=).
    assert api.call("PUT", course_path, COURSE, token=world.admin).status_code == 400
    # The other facility's course of the same id is its own; demo inmates never see it.
    assert api.call("PUT", "/v1/staff/courses/other-only", COURSE,
                    token=world.other_staff).status_code == 200

    inmate = world.inmate_token("A1001")
    catalog = api.get("/v1/inmate/courses", token=inmate).json["items"]
    assert [c["course_id"] for c in catalog] == ["reading-101"]
    assert api.get("/v1/inmate/courses/other-only", token=inmate).status_code == 404
    path = "/v1/inmate/courses/reading-101"
    before = api.get(path, token=inmate).json
    assert before["enrolled"] is False and before["progress"]["total"] == 3
    early = api.post(f"{path}/lessons/1/complete", token=inmate)
    assert early.status_code == 409 and early.json["code"] == "not_enrolled"

    first = api.post(f"{path}/enroll", token=inmate)
    assert first.status_code == 200 and first.json["enrolled"] is True
    enrolled = _enrolments()
    again = api.post(f"{path}/enroll", token=inmate)
    assert again.status_code == 200 and again.json["enrolled_at"] == first.json["enrolled_at"]
    assert _enrolments() == enrolled
    for bad in ("0", "4", "x", "-1", "1.5", "%C2%B2", "%D9%A1", "9" * 40):
        answer = api.post(f"{path}/lessons/{bad}/complete", token=inmate)
        assert answer.status_code == 404 and answer.json["code"] == "lesson_not_found", bad
    assert _enrolments() == enrolled  # nothing changed

    for n in (2, 1, 2):
        done = api.post(f"{path}/lessons/{n}/complete", token=inmate)
        assert done.status_code == 200
    assert done.json["progress"] == {"completed": 2, "total": 3, "percent": 67}
    assert done.json["certificate"] is None
    finished = api.post(f"{path}/lessons/3/complete", token=inmate).json
    certificate = finished["certificate"]
    assert finished["progress"]["percent"] == 100 and certificate["certificate_id"]
    again = api.post(f"{path}/lessons/3/complete", token=inmate).json
    assert again["certificate"] == certificate  # issued once
    item = store.enrolment("inm_A1001", "demo-county", "reading-101")
    assert store.issue_certificate(item, "crt_second", "2026-12-01T00:00:00Z") is False

    # Progress is the inmate's own: the other inmate has none.
    other_inmate = world.inmate_token("A1002")
    assert api.get(path, token=other_inmate).json["enrolled"] is False

    family, stranger = world.family(), world.family()
    contact_id = world.contact(family)
    elena_contact = world.contact(stranger, ELENA)
    shared_path = f"/v1/contacts/{contact_id}/courses"
    assert api.get(shared_path, token=family.token).json["items"] == []  # not shared yet
    for wrong in (elena_contact, "con_nope"):
        refused = api.post(f"{path}/share", {"contact_id": wrong}, token=inmate)
        assert refused.status_code == 404 and refused.json["code"] == "contact_not_found"
    unenrolled = api.post(f"{path}/share", {"contact_id": elena_contact}, token=other_inmate)
    assert unenrolled.status_code == 409
    assert api.post(f"{path}/share", {"contact_id": contact_id}, token=inmate).status_code == 200
    [seen] = api.get(shared_path, token=family.token).json["items"]
    assert seen["course_id"] == "reading-101" and seen["certificate"] == certificate
    assert seen["progress"] == {"completed": 3, "total": 3, "percent": 100}
    assert api.get(shared_path, token=stranger.token).status_code == 404
    # The other facility's kiosk key is refused for a demo inmate's session.
    assert api.get("/v1/inmate/courses", token=inmate,
                   headers={"X-Kiosk-Key": OTHER_KIOSK_KEY}).status_code == 401


    # Data rights: the family's export names the share; erasure ends it, the inmate's own
    # progress and the catalog stay (they name no family account).
    [holding] = [h for h in datarights.holdings() if h.capability == "education"]
    assert set(holding.models) == {Course, Enrolment, CourseShare} and holding.kept == ()
    exported = holding.export(family.account_id)
    assert [(s["contact_id"], s["course_id"]) for s in exported["course_shares"]] == [
        (contact_id, "reading-101")]
    holding.erase(family.account_id)
    assert holding.export(family.account_id) == {"course_shares": []}
    assert api.get(shared_path, token=family.token).json["items"] == []
    assert api.get(path, token=inmate).json["certificate"] == certificate
