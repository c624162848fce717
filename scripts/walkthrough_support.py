"""The walkthrough's support and education steps (issue 17): a family asks about its deposit,
staff answer, the family replies and staff close; an inmate takes the demo course on the kiosk
and shares the progress with the family, who then sees it.  Run by ``walkthrough.py``."""
from __future__ import annotations

from walkthrough import (INMATE_PIN, KIOSK, RUN, STAFF, call, check, emails_to, inmate_sign_in,
                         said, signed_up, staff_sign_in)

DEMO_COURSE = "ged-math-basics"


def _subject_starts(english: str) -> str:
    """The run language's words of an email subject, up to its first placeholder."""
    return said(english).split("%(")[0]


def support_and_education() -> None:
    email = f"helpme.{RUN}@example.com"
    token = signed_up(email)["access_token"]
    other = signed_up(f"nosy.{RUN}@example.com")["access_token"]
    staff = staff_sign_in(STAFF)
    deposit = call("POST", "/v1/deposits", {"inmate_id": "inm_A1001", "account": "trust",
                                            "amount_cents": 1500, "payment_method_token": "tok_visa"},
                   token=token, headers={"Idempotency-Key": f"support-{RUN}"})
    check(deposit.status == 201, "the family makes a deposit to ask about")
    deposit_id = deposit.json["deposit_id"]

    ask = {"category": "deposit", "subject": "Not on his account",
           "body": "I sent it an hour ago.", "related_id": deposit_id}
    nosy = call("POST", "/v1/support/tickets", ask, token=other)
    check(nosy.status == 404 and nosy.json["code"] == "related_not_found",
          "another family cannot open a ticket about this deposit")
    opened = call("POST", "/v1/support/tickets", ask, token=token)
    check(opened.status == 201 and opened.json["status"] == "open" and opened.json["respond_by"],
          f"the family opens a ticket (respond by {opened.json.get('respond_by')})")
    ticket_id = opened.json["ticket_id"]
    queue = call("GET", "/v1/staff/support/tickets?status=open&limit=100", token=staff).json
    check(any(t["ticket_id"] == ticket_id for t in queue["items"]),
          "it is in the facility's queue, sorted by respond-by")
    check(any(t["subject"] == "Visiting hours on holidays" for t in queue["items"]),
          "the demo's open ticket is there too")
    staff_path = f"/v1/staff/support/tickets/{ticket_id}"
    answered = call("POST", f"{staff_path}/replies", {"body": "It posted; please look again."},
                    token=staff)
    check(answered.status == 201 and answered.json["status"] == "answered", "staff answer")
    subjects = [m["subject"] for m in emails_to(email)]
    check(any(s.startswith(_subject_starts("Support answered: %(subject)s")) for s in subjects),
          "the family is emailed the answer", subjects)
    reopened = call("POST", f"/v1/support/tickets/{ticket_id}/replies",
                    {"body": "Still not there."}, token=token)
    check(reopened.status == 201 and reopened.json["status"] == "open",
          "the family's reply opens it again")
    closed = call("POST", f"{staff_path}/close", token=staff)
    check(closed.status == 200 and closed.json["status"] == "closed", "staff close it")
    late = call("POST", f"/v1/support/tickets/{ticket_id}/replies", {"body": "Hello?"},
                token=token)
    check(late.status == 409 and late.json["code"] == "ticket_closed",
          "a closed ticket takes no reply")
    shown = call("GET", f"/v1/support/tickets/{ticket_id}", token=token).json
    check(shown["reply_count"] == 2 and len(shown["replies"]["items"]) == 2,
          "the family reads the whole conversation")

    contact = call("POST", "/v1/contacts", {"inmate_id": "inm_A1001"}, token=token).json
    call("POST", f"/v1/staff/contacts/{contact['contact_id']}/decision", {"decision": "approve"},
         token=staff)
    inmate = inmate_sign_in("A1001", INMATE_PIN).json["access_token"]
    catalog = call("GET", "/v1/inmate/courses", token=inmate, headers=KIOSK).json["items"]
    check(any(c["course_id"] == DEMO_COURSE for c in catalog), "the kiosk lists the demo course")
    course = f"/v1/inmate/courses/{DEMO_COURSE}"
    check(call("POST", f"{course}/enroll", token=inmate, headers=KIOSK).json["enrolled"],
          "the inmate enrols")
    beyond = call("POST", f"{course}/lessons/99/complete", token=inmate, headers=KIOSK)
    check(beyond.status == 404 and beyond.json["code"] == "lesson_not_found",
          "a lesson the course does not have is refused")
    lessons = call("GET", course, token=inmate, headers=KIOSK).json["lessons"]
    for lesson in lessons:
        done = call("POST", f"{course}/lessons/{lesson['number']}/complete", token=inmate,
                    headers=KIOSK)
    check(done.json["progress"]["percent"] == 100 and done.json["certificate"],
          "every lesson done: a certificate record")
    shared = f"/v1/contacts/{contact['contact_id']}/courses"
    check(call("GET", shared, token=token).json["items"] == [], "nothing is shared yet")
    check(call("POST", f"{course}/share", {"contact_id": contact["contact_id"]}, token=inmate,
               headers=KIOSK).status == 200, "the inmate shares the progress with the family")
    seen = call("GET", shared, token=token).json["items"]
    check([c["course_id"] for c in seen] == [DEMO_COURSE] and seen[0]["certificate"],
          "the family sees the course and the certificate")
    check(call("GET", shared, token=other).status == 404, "another family does not")
