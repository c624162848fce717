"""Chime's own meeting events (EventBridge "Chime Meeting State Change"), delivered to the
``record_video_events`` function: the same records as the signed webhook, and nothing for
events that are not a visit's."""
from __future__ import annotations

from chalicelib.core import clock
from chalicelib.core.identity import Principal
from chalicelib.payments.audit import audit
from chalicelib.visits import record_meeting_event, sessions
from chalicelib.visits.store import Visit
from tests.visit_support import (DEMO_FACILITY_ID, MARCUS, book, bookable_slot, family,  # noqa: F401
                                 visit_world)


def chime(event_type: str, visit_id: str, user: str = "") -> dict:
    """An EventBridge event's ``detail`` as Chime sends it (milliseconds since the epoch)."""
    return {"version": 0, "eventType": event_type, "timestamp": int(clock.now() * 1000),
            "meetingId": "6f1c2a8e-3b7d-4e9a-9c55-0d2f6b1e8a47", "externalMeetingId": visit_id,
            "attendeeId": "0c5d7a3e-91f2-4b1e-8a2f-5e6b7c8d9e01", "externalUserId": user,
            "mediaRegion": "us-east-1"}


def test_chimes_events_start_and_end_a_video_visit(visit_world):
    principal = family()
    visit_id = book(principal, bookable_slot("video", days_ahead=2))["visit_id"]
    visit = Visit.get(visit_id)
    clock.advance(int(visit.starts) - clock.now() - 300)
    sessions.join(principal, visit_id, as_inmate=False)
    sessions.join(Principal(MARCUS, "inmate", "ses_kiosk", DEMO_FACILITY_ID), visit_id, True)
    clock.advance(300)
    joined = record_meeting_event(chime("chime:AttendeeJoined", visit_id,
                                        f"family:{principal.account_id}"))
    assert joined["status"] == "scheduled", "one side is not a visit yet"
    assert record_meeting_event(chime("chime:AttendeeJoined", visit_id,
                                      f"inmate:{MARCUS}"))["status"] == "in_progress"
    assert int(Visit.get(visit_id).connected_at) == int(visit.starts)
    clock.advance(10 * 60)
    # Chime ends a meeting itself early (no reason given): the visit runs on until its end.
    assert record_meeting_event(chime("chime:MeetingEnded", visit_id))["status"] == "in_progress"
    clock.advance(int(visit.ends) - clock.now())
    assert record_meeting_event(chime("chime:MeetingEnded", visit_id))["status"] == "completed"
    ended = Visit.get(visit_id)
    assert int(ended.delivered_minutes) == (int(visit.ends) - int(visit.starts)) // 60
    assert int(ended.refund_cents or 0) == 0
    assert audit().mismatches == []


def test_events_that_are_not_a_visits_record_nothing(visit_world):
    principal = family()
    visit_id = book(principal, bookable_slot("video", days_ahead=2))["visit_id"]
    before = Visit.get(visit_id).status
    assert record_meeting_event(chime("chime:MeetingStarted", visit_id)) is None
    assert record_meeting_event(chime("chime:AttendeeJoined", "vis_unknown", "family:x")) is None
    assert record_meeting_event({"eventType": "chime:AttendeeJoined"}) is None
    assert record_meeting_event(chime("chime:AttendeeJoined", visit_id, "stranger:x"))[
        "status"] == before
    assert Visit.get(visit_id).status == before and not Visit.get(visit_id).joined


def test_the_template_routes_chimes_events_to_their_own_narrow_function(template):
    function = template["Resources"]["RecordVideoEvents"]
    [source] = function["Properties"]["Events"].values()
    assert source["Type"] == "CloudWatchEvent"
    assert source["Properties"]["Pattern"] == {"source": ["aws.chime"],
                                               "detail-type": ["Chime Meeting State Change"]}
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    [policy] = template["Resources"][role]["Properties"]["Policies"]
    actions = {action for statement in policy["PolicyDocument"]["Statement"]
               for action in ([statement["Action"]] if isinstance(statement["Action"], str)
                              else statement["Action"])}
    assert "dynamodb:Query" not in actions and "dynamodb:DeleteItem" not in actions
    assert {"dynamodb:GetItem", "dynamodb:UpdateItem", "chime:DeleteMeeting"} <= actions
