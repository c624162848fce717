"""The walkthrough's visit steps (``make walkthrough`` runs them from ``walkthrough.py``): a
family books on-site and video visits against the running stack the way a client would, and
staff decide, cancel and list.  Every visit it books ends cancelled or declined, so the demo
inmate's weekly allowance is whole again for the next run.  Holds last 10 minutes; the stack's
clock cannot be moved from here, so expiry itself is proven by tests/test_visits.py."""
from __future__ import annotations

import datetime

from walkthrough import (INMATE_PIN, KIOSK, RUN, STAFF, call, check, emails_to, inmate_sign_in,
                         signed_up, staff_sign_in)

INMATE = "inm_A1002"


def _first_slot(token: str, mode: str, days_ahead: int) -> dict:
    day = (datetime.date.today() + datetime.timedelta(days=days_ahead)).isoformat()
    last = (datetime.date.today() + datetime.timedelta(days=days_ahead + 6)).isoformat()
    listed = call("GET", f"/v1/facilities/demo-county/visit-slots?inmate_id={INMATE}&mode={mode}"
                         f"&from={day}&to={last}", token=token)
    check(listed.status == 200, f"{mode} slots are listed", listed.json)
    free = [slot for slot in listed.json["items"] if slot["available"] > 0]
    check(bool(free), f"a {mode} slot has a place left", listed.json)
    return free[0]


def _book(token: str, slot: dict, **body) -> dict:
    held = call("POST", "/v1/visits/holds", {"slot_id": slot["slot_id"], "inmate_id": INMATE},
                token=token)
    check(held.status == 201, f"a place of {slot['slot_id']} is held", held.json)
    expires = datetime.datetime.fromisoformat(held.json["expires_at"].replace("Z", "+00:00"))
    left = (expires - datetime.datetime.now(datetime.UTC)).total_seconds()
    check(500 < left <= 600, f"the hold lasts 10 minutes ({int(left)} s left)")
    key = {"Idempotency-Key": f"visit-{RUN}-{slot['slot_id']}"}
    booked = call("POST", "/v1/visits", {"hold_id": held.json["hold_id"], **body}, token=token,
                  headers=key)
    check(booked.status == 201, f"the {slot['mode']} visit is booked ({booked.json})")
    replay = call("POST", "/v1/visits", {"hold_id": held.json["hold_id"], **body}, token=token,
                  headers=key)
    check(replay.status == 201 and replay.raw == booked.raw, "a retried booking replays")
    return booked.json


def visits() -> None:
    email = f"visits.{RUN}@example.com"
    token = signed_up(email)["access_token"]
    other = signed_up(f"visits.other.{RUN}@example.com")["access_token"]
    staff = staff_sign_in(STAFF)
    contact = call("POST", "/v1/contacts", {"inmate_id": INMATE}, token=token).json["contact_id"]
    early = call("POST", "/v1/visits/holds", {"slot_id": "demo-county.video.20261205T1900Z",
                                              "inmate_id": INMATE}, token=token)
    check(early.status == 403 and early.json["code"] == "contact_not_approved",
          "visits wait for the facility to approve the contact")
    call("POST", f"/v1/staff/contacts/{contact}/decision", {"decision": "approve"}, token=staff)

    video_slot = _first_slot(token, "video", 2)
    video = _book(token, video_slot, payment_method_token="tok_visa",
                  visitors=[{"full_name": "Rosa Family", "date_of_birth": "1985-06-01"}])
    check(video["status"] == "scheduled" and video["price_cents"] > 0,
          f"a video visit is paid at booking ({video['price_cents']} cents)")
    busy = call("POST", "/v1/visits/holds", {"slot_id": video_slot["slot_id"],
                                             "inmate_id": INMATE}, token=other)
    check(busy.status == 403, "another family without a contact cannot hold", busy.json)
    twice = call("POST", "/v1/visits/holds", {"slot_id": video_slot["slot_id"],
                                              "inmate_id": INMATE}, token=token)
    check(twice.status == 409 and twice.json["code"] == "inmate_unavailable",
          "the inmate is never booked twice at one time")
    joined = call("POST", f"/v1/visits/{video['visit_id']}/join", token=token)
    check(joined.status == 409 and joined.json["code"] == "not_joinable_now"
          and joined.json["opens_at"] == video["join_opens_at"],
          "joining opens 10 minutes before the start")
    check(call("GET", f"/v1/visits/{video['visit_id']}", token=other).status == 404,
          "another family cannot see the visit")
    cancelled = call("POST", f"/v1/visits/{video['visit_id']}/cancel", token=token)
    check(cancelled.status == 200 and cancelled.json["refund_cents"] == video["price_cents"],
          "the family cancels days ahead: full refund")
    timeline = call("GET", f"/v1/visits/{video['visit_id']}", token=token).json["timeline"]
    check([line["status"] for line in timeline] == ["scheduled", "cancelled"],
          "the visit's timeline tells what happened")

    second = _book(token, _first_slot(token, "video", 3), payment_method_token="tok_visa")
    by_staff = call("POST", f"/v1/staff/visits/{second['visit_id']}/cancel",
                    {"reason": "safety"}, token=staff)
    check(by_staff.status == 200 and by_staff.json["cancelled_by"] == "staff"
          and by_staff.json["refund_cents"] == second["price_cents"],
          "the facility cancels: full refund, with the reason")
    mail = emails_to(email)[-1]["body"]  # in the family's language, whoever cancelled
    check("Threatens safety or security" in mail or "Amenaza la seguridad" in mail,
          "the notice gives the reason")

    onsite = _book(token, _first_slot(token, "onsite", 3),
                   visitors=[{"full_name": "Rosa Family", "date_of_birth": "1985-06-01"}])
    check(onsite["status"] == "requested" and onsite["price_cents"] == 0,
          "an on-site visit is free and waits for staff")
    day = onsite["starts_at"][:10]
    listed = call("GET", f"/v1/staff/visits?date={day}", token=staff).json["items"]
    check(any(item["visit_id"] == onsite["visit_id"] for item in listed),
          "staff see it in the day's list")
    kiosk = inmate_sign_in("A1002", INMATE_PIN)
    upcoming = call("GET", "/v1/inmate/visits", token=kiosk.json["access_token"],
                    headers=KIOSK).json["items"]
    check(any(item["visit_id"] == onsite["visit_id"] for item in upcoming),
          "the inmate sees the visit at the kiosk")
    declined = call("POST", f"/v1/staff/visits/{onsite['visit_id']}/decision",
                    {"decision": "decline", "reason": "other"}, token=staff)
    check(declined.status == 200 and declined.json["status"] == "declined",
          "staff decline it with a reason from the facility's list")
    again = call("POST", f"/v1/staff/visits/{onsite['visit_id']}/decision",
                 {"decision": "approve"}, token=staff)
    check(again.status == 409 and again.json["code"] == "visit_state_changed",
          "a decision is made once")
