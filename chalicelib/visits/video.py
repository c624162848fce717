"""Video rooms behind one small interface: create a meeting once per visit, an attendee per
participant, delete the meeting at the end.  ``ChimeVideoRooms`` is Amazon Chime SDK Meetings
(boto3 ``chime-sdk-meetings``; moto has no Chime, so tests/test_visits_video.py checks its
requests and error handling with botocore's Stubber); ``LocalVideoRooms`` (``make run``, tests)
answers with the same shapes.  CreateMeeting's ``ClientRequestToken`` is the visit id, so two
joins racing to create the meeting get the same one.  Stage setting: ``VIDEO_ROOMS``
(``chime`` in prod unless set, ``local`` elsewhere).
"""
from __future__ import annotations

import uuid
from typing import Protocol

from chalicelib.config import get_settings
from chalicelib.core import aws
from chalicelib.core.errors import ServiceUnavailable
from chalicelib.core.i18n import N_, _


class VideoUnavailable(ServiceUnavailable):
    code = "video_unavailable"
    title = N_("Video service unavailable")

    def __init__(self) -> None:
        super().__init__(_("The video service did not answer. Please try joining again in a "
                           "moment."), retry_after_seconds=5)


class VideoRooms(Protocol):
    def create_meeting(self, visit_id: str) -> dict: ...

    def create_attendee(self, meeting_id: str, external_user_id: str) -> dict: ...

    def delete_meeting(self, meeting_id: str) -> None: ...


class LocalVideoRooms:
    """Meetings and attendees of Chime's shapes, derived from their ids (nothing to store)."""

    region = "us-east-1"

    def create_meeting(self, visit_id: str) -> dict:
        meeting_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"kinlink-visit:{visit_id}"))
        host = f"https://local-video.kinlink.example/{meeting_id}"
        return {"MeetingId": meeting_id, "ExternalMeetingId": visit_id,
                "MediaRegion": self.region,
                "MediaPlacement": {"AudioHostUrl": f"{host}/audio",
                                   "AudioFallbackUrl": f"{host}/audio-fallback",
                                   "SignalingUrl": f"{host}/signal",
                                   "TurnControlUrl": f"{host}/turn",
                                   "ScreenDataUrl": f"{host}/screen",
                                   "ScreenViewingUrl": f"{host}/screen-view",
                                   "ScreenSharingUrl": f"{host}/screen-share",
                                   "EventIngestionUrl": f"{host}/events"},
                "MeetingArn": f"arn:aws:chime:{self.region}:000000000000:meeting/{meeting_id}"}

    def create_attendee(self, meeting_id: str, external_user_id: str) -> dict:
        attendee_id = str(uuid.uuid5(uuid.UUID(meeting_id), external_user_id))
        return {"ExternalUserId": external_user_id, "AttendeeId": attendee_id,
                "JoinToken": uuid.uuid4().hex}

    def delete_meeting(self, meeting_id: str) -> None:
        return None


class ChimeVideoRooms:
    """Amazon Chime SDK Meetings; a throttled or failing call is a 503 the client may retry
    (joins are safe to repeat), a meeting already gone is nothing to delete."""

    def __init__(self, client=None, region: str | None = None) -> None:
        self._client = client
        self.region = region or get_settings().video_media_region

    @property
    def client(self):
        if self._client is None:
            self._client = aws.client("chime-sdk-meetings")
        return self._client

    def create_meeting(self, visit_id: str) -> dict:
        return self._call("create_meeting", ClientRequestToken=visit_id,
                          MediaRegion=self.region, ExternalMeetingId=visit_id)["Meeting"]

    def create_attendee(self, meeting_id: str, external_user_id: str) -> dict:
        return self._call("create_attendee", MeetingId=meeting_id,
                          ExternalUserId=external_user_id)["Attendee"]

    def delete_meeting(self, meeting_id: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self._call("delete_meeting", MeetingId=meeting_id)
        except ClientError as error:  # already ended: nothing left to end
            if error.response.get("Error", {}).get("Code") != "NotFoundException":
                raise

    def _call(self, operation: str, **params) -> dict:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, operation)(**params)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("ThrottledClientException", "ServiceUnavailableException",
                        "ServiceFailureException", "LimitExceededException",
                        "TooManyRequestsException"):
                raise VideoUnavailable() from None
            raise
        except BotoCoreError:
            raise VideoUnavailable() from None


_rooms: VideoRooms | None = None


def rooms() -> VideoRooms:
    global _rooms
    if _rooms is None:
        settings = get_settings()
        kind = settings.video_rooms or ("chime" if settings.is_production else "local")
        _rooms = ChimeVideoRooms() if kind == "chime" else LocalVideoRooms()
    return _rooms


def use_rooms(replacement: VideoRooms | None) -> None:
    """Swap the video rooms (tests); ``None`` goes back to the configured ones."""
    global _rooms
    _rooms = replacement
