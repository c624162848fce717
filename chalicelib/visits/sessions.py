"""Joining a video visit and recording what was delivered (docs/api.md "Visits").

Family and inmate join from 10 minutes before the start to the end; the first join creates the
visit's meeting (stored with a condition, so racing joins keep one), each join an attendee.
Delivered minutes come from the video service's events (``POST /v1/webhooks/video``, signed
with the stage's secret: ``X-Video-Signature`` is the HMAC-SHA256 of the body): the visit is in
progress once both sides joined; a meeting ended early by staff or the system ends the visit
with the undelivered minutes refunded.  In AWS, Chime's own EventBridge events (``Chime Meeting
State Change``) reach ``meeting_event`` through the ``record_video_events`` function instead.
"""
from __future__ import annotations

import json

from chalicelib.core import clock, secrets
from chalicelib.core.errors import Conflict, InvalidRequest, NotFound
from chalicelib.core.i18n import _
from chalicelib.core.identity import Principal
from chalicelib.core.store import get_or_none, written
from chalicelib.visits import lifecycle, states, video
from chalicelib.visits.booking import JOIN_OPENS_SECONDS
from chalicelib.visits.store import Visit

SIGNATURE_PURPOSE = "video-webhook"


def join(principal: Principal, visit_id: str, as_inmate: bool) -> dict:
    found = get_or_none(Visit, visit_id)
    owner = found.inmate_id if (found and as_inmate) else (found.account_id if found else None)
    if found is None or owner != principal.account_id:
        raise lifecycle.visit_not_found()
    if found.mode != states.VIDEO:
        raise Conflict(_("This is an on-site visit: there is nothing to join online."),
                       code="not_video")
    now = clock.now()
    opens, closes = int(found.starts) - JOIN_OPENS_SECONDS, int(found.ends)
    if found.status not in (states.SCHEDULED, states.IN_PROGRESS) or now >= closes:
        raise Conflict(_("This visit can no longer be joined."), code="not_joinable_now",
                       closed_at=clock.iso(closes), visit_status=found.status)
    if now < opens:
        raise Conflict(_("This visit opens for joining at %(time)s.", time=clock.iso(opens)),
                       code="not_joinable_now", opens_at=clock.iso(opens))
    meeting = _meeting(found)
    side = "inmate" if as_inmate else "family"
    attendee = video.rooms().create_attendee(meeting["MeetingId"], f"{side}:{principal.account_id}")
    return {"meeting": meeting, "attendee": attendee}


def _meeting(found: Visit) -> dict:
    if found.meeting:
        return json.loads(found.meeting)
    meeting = video.rooms().create_meeting(found.visit_id)
    text = json.dumps(meeting, separators=(",", ":"))
    if not written(lambda: found.update(actions=[Visit.meeting.set(text)],
                                        condition=Visit.meeting.does_not_exist())):
        return json.loads(get_or_none(Visit, found.visit_id).meeting)
    return meeting


def signature(body: str) -> str:
    return secrets.keyed_digest(body, SIGNATURE_PURPOSE)


def video_event(raw_body: str, given_signature: str | None, event: dict) -> dict:
    """Record one signed event of the video service; repeats change nothing."""
    if not secrets.same(signature(raw_body), given_signature):
        raise InvalidRequest(_("The event's signature is not valid."), code="invalid_signature")
    return _record(event)


# Chime's event types (EventBridge "Chime Meeting State Change") and what each records.
CHIME_EVENTS = {"chime:AttendeeJoined": "attendee_joined", "chime:AttendeeLeft": "attendee_left",
                "chime:AttendeeDropped": "attendee_left", "chime:MeetingEnded": "meeting_ended"}


def meeting_event(detail: dict) -> dict | None:
    """Record one of Chime's meeting events (the ``detail`` of an EventBridge event, delivered
    by AWS, so unsigned).  Events of other kinds, of meetings that are not visits' or of visits
    that no longer exist record nothing (None): EventBridge would only deliver them again."""
    kind = CHIME_EVENTS.get(detail.get("eventType"))
    visit_id = detail.get("externalMeetingId")
    if kind is None or not isinstance(visit_id, str) or not visit_id:
        return None
    at = detail.get("timestamp")
    event = {"type": kind, "external_meeting_id": visit_id,
             "external_user_id": str(detail.get("externalUserId") or ""),
             "at": clock.iso(at / 1000) if isinstance(at, int | float) else None}
    try:
        return _record(event)
    except NotFound:
        return None


def _record(event: dict) -> dict:
    found = get_or_none(Visit, event["external_meeting_id"])
    if found is None or found.mode != states.VIDEO:
        raise NotFound(_("No such visit."), code="visit_not_found")
    at = _moment(event.get("at"))
    kind = event["type"]
    if kind == "attendee_joined":
        side = event.get("external_user_id", "").split(":", 1)[0]
        if side in ("family", "inmate"):
            found.update(actions=[Visit.joined.add({side})])
            found = get_or_none(Visit, found.visit_id)
            if set(found.joined or ()) == {"family", "inmate"} \
                    and found.status == states.SCHEDULED:
                _connect(found, at)
    elif kind == "meeting_ended" and found.status in (states.SCHEDULED, states.IN_PROGRESS):
        reason = event.get("reason", "scheduled")
        if reason in ("staff", "system") or at >= int(found.ends):
            try:
                lifecycle.end(found, reason=reason if reason != "scheduled" else None, at=at)
            except Conflict:
                pass  # ended meanwhile by the job
    current = get_or_none(Visit, found.visit_id)
    return {"visit_id": current.visit_id, "status": current.status}


def _connect(found: Visit, at: float) -> None:
    try:
        lifecycle.apply(found, states.CONNECT, None,
                        actions=(Visit.connected_at.set(int(max(at, int(found.starts)))),))
    except Conflict:
        pass
    found.connected_at = int(max(at, int(found.starts)))


def _moment(text: str | None) -> float:
    if not text:
        return clock.now()
    from datetime import datetime

    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return clock.now()
