"""The Amazon Chime SDK Meetings adapter (moto has no chime-sdk-meetings): its requests and its
error handling, checked with botocore's Stubber; and the local rooms answer the same shapes."""
from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.visits.video import ChimeVideoRooms, LocalVideoRooms, VideoUnavailable

MEETING = {"MeetingId": "6f1c2a8e-3b7d-4e9a-9c55-0d2f6b1e8a47", "ExternalMeetingId": "vis_1",
           "MediaRegion": "us-east-1",
           "MediaPlacement": {"AudioHostUrl": "a", "SignalingUrl": "wss://s"}}
ATTENDEE = {"ExternalUserId": "family:acc_1", "AttendeeId": "0c5d7a3e-91f2-4b1e-8a2f-5e6b7c8d9e01",
            "JoinToken": "token"}


@pytest.fixture
def chime():
    client = boto3.client("chime-sdk-meetings", region_name="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield ChimeVideoRooms(client, region="us-east-1"), stubber
        stubber.assert_no_pending_responses()


def test_create_meeting_is_idempotent_by_visit_and_attendees_name_their_side(chime):
    rooms, stubber = chime
    stubber.add_response("create_meeting", {"Meeting": MEETING},
                         {"ClientRequestToken": "vis_1", "MediaRegion": "us-east-1",
                          "ExternalMeetingId": "vis_1"})
    stubber.add_response("create_attendee", {"Attendee": ATTENDEE},
                         {"MeetingId": MEETING["MeetingId"], "ExternalUserId": "family:acc_1"})
    stubber.add_response("delete_meeting", {}, {"MeetingId": MEETING["MeetingId"]})
    assert rooms.create_meeting("vis_1") == MEETING
    assert rooms.create_attendee(MEETING["MeetingId"], "family:acc_1") == ATTENDEE
    rooms.delete_meeting(MEETING["MeetingId"])


def test_throttling_is_a_retryable_503_and_a_gone_meeting_is_nothing_to_end(chime):
    rooms, stubber = chime
    stubber.add_client_error("create_meeting", "ThrottledClientException", http_status_code=429)
    stubber.add_client_error("create_attendee", "ServiceUnavailableException",
                             http_status_code=503)
    stubber.add_client_error("delete_meeting", "NotFoundException", http_status_code=404)
    stubber.add_client_error("delete_meeting", "ForbiddenException", http_status_code=403)
    with pytest.raises(VideoUnavailable) as raised:
        rooms.create_meeting("vis_1")
    assert raised.value.code == "video_unavailable"
    with pytest.raises(VideoUnavailable):
        rooms.create_attendee(MEETING["MeetingId"], "inmate:inm_A1001")
    rooms.delete_meeting(MEETING["MeetingId"])  # already ended: fine
    with pytest.raises(Exception, match="ForbiddenException"):
        rooms.delete_meeting(MEETING["MeetingId"])  # a real problem is not hidden


def test_local_rooms_answer_chimes_shapes_and_one_meeting_per_visit():
    rooms = LocalVideoRooms()
    meeting = rooms.create_meeting("vis_1")
    assert meeting == rooms.create_meeting("vis_1")
    assert {"MeetingId", "ExternalMeetingId", "MediaRegion", "MediaPlacement"} <= set(meeting)
    attendee = rooms.create_attendee(meeting["MeetingId"], "family:acc_1")
    assert set(attendee) == {"ExternalUserId", "AttendeeId", "JoinToken"}
