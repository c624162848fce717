"""HTTP routes of visits (docs/api.md "Visits").

Families: slots of an approved contact's inmate, holds, bookings, their visits, cancel, join.
Staff (admins with ``?facility_id=``): the day's list, decisions, cancel, check-in, no-show.
Inmates (kiosk): their visits and joining.  Another family's, facility's or inmate's visit
answers 404 (its existence is private).  The video service posts its events, signed.
"""
from __future__ import annotations

from datetime import date

from chalice import Blueprint

from chalicelib.core import lazy
from chalicelib.core.errors import InvalidRequest
from chalicelib.core.i18n import N_, _
from chalicelib import facilities
from chalicelib.facilities import INMATE_ROLE, VISIT_MODES
from chalicelib.visits import states
from chalicelib.web.endpoint import (FACILITY_QUERY, KIOSK_KEY, PAGINATION, STAFF_OR_ADMIN,
                                     ApiRequest, Example, Header, Reply, endpoint)
from chalicelib.web.schema import (BOOLEAN, NULLABLE_STRING, named, obj, page_of, person_name,
                                   string)

booking = lazy.module("chalicelib.visits.booking")
lifecycle = lazy.module("chalicelib.visits.lifecycle")
sessions = lazy.module("chalicelib.visits.sessions")

bp = Blueprint(__name__)

FAMILY, INMATE = ("family",), (INMATE_ROLE,)
DEFAULT_LIMIT = 20
# what the video provider's webhook reports, and who may end a video session
EVENTS = ("attendee_joined", "attendee_left", "meeting_ended")
END_REASONS = ("staff", "system", "scheduled")
ID = string(1, 64)
DATE = string(10, 10, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
              **{"x-pattern-problem": N_("must be a date, YYYY-MM-DD")})
REASON = string(1, 64)
INTEGER = {"type": "integer"}
VISITOR = obj({"full_name": person_name(1, 200), "date_of_birth": DATE})
TIMELINE = {"type": "array", "items": obj({"status": string(), "at": string(),
                                            "by_role": string()},
                                           {"reason": NULLABLE_STRING})}
VISIT = named("Visit", obj(
    {"visit_id": string(), "mode": string(enum=list(VISIT_MODES)),
     "status": string(enum=list(states.VisitStatus)), "starts_at": string(),
     "ends_at": string()},
    {"facility_id": string(), "inmate_id": string(), "inmate_name": string(),
     "price_cents": INTEGER, "refund_cents": INTEGER, "join_opens_at": string(),
     "cancelled_by": NULLABLE_STRING, "reason": NULLABLE_STRING, "reason_text": NULLABLE_STRING,
     "visitors": {"type": "array", "items": {"type": "object"}}, "timeline": TIMELINE,
     "delivered_minutes": {"type": ["integer", "null"]}, "account_id": string(),
     "family_name": string()}))
JOIN = named("VideoJoin", obj({"meeting": {"type": "object"}, "attendee": {"type": "object"}}))

VISIT_ID = "vis_4Qm8xR2tL7vN1pZ9wK3bYA"
STARTS, ENDS = "2026-12-05T19:00:00Z", "2026-12-05T19:30:00Z"
VISIT_EXAMPLE = {
    "visit_id": VISIT_ID, "mode": "video", "status": "scheduled", "facility_id": "demo-county",
    "inmate_id": "inm_A1001", "inmate_name": "Marcus Johnson", "starts_at": STARTS,
    "ends_at": ENDS, "price_cents": 450, "refund_cents": 0, "cancelled_by": None, "reason": None,
    "reason_text": None, "visitors": [{"full_name": "Dana Lee", "date_of_birth": "1984-03-09"}],
    "timeline": [{"status": "scheduled", "at": "2026-12-01T15:20:04Z", "by_role": "family",
                  "reason": None}],
    "join_opens_at": "2026-12-05T18:50:00Z", "delivered_minutes": None}
STAFF_VISIT_EXAMPLE = {**VISIT_EXAMPLE, "account_id": "acc_Q2hL9xv7RkT1mWb3ZpN5eA",
                       "family_name": "Dana Lee"}
MEETING_EXAMPLE = {
    "MeetingId": "6f1c2a8e-3b7d-4e9a-9c55-0d2f6b1e8a47", "ExternalMeetingId": VISIT_ID,
    "MediaRegion": "us-east-1",
    "MediaPlacement": {"AudioHostUrl": "abc.k.m1.ue1.app.chime.aws:3478",
                       "SignalingUrl": "wss://signal.m1.ue1.app.chime.aws/control/6f1c2a8e",
                       "TurnControlUrl": "https://2713.cell.us-east-1.meetings.chime.aws/v2/turn_sessions"}}
ATTENDEE_EXAMPLE = {"ExternalUserId": "family:acc_Q2hL9xv7RkT1mWb3ZpN5eA",
                    "AttendeeId": "0c5d7a3e-91f2-4b1e-8a2f-5e6b7c8d9e01",
                    "JoinToken": "ZjY4YzJhOGUtM2I3ZC00ZTlhLTljNTUtMGQyZjZiMWU4YTQ3"}


def _page(request: ApiRequest) -> tuple[int, str | None]:
    return request.query.get("limit", DEFAULT_LIMIT), request.query.get("cursor")


def _date(request: ApiRequest, name: str) -> date:
    try:
        return date.fromisoformat(request.query[name])
    except ValueError:
        raise InvalidRequest(_("%(field)s must be a date, YYYY-MM-DD.", field=name), errors=[
            {"field": f"query.{name}", "problem": _("must be a date, YYYY-MM-DD")}]) from None


# --- families --------------------------------------------------------------------------------

@endpoint(bp, "GET", "/v1/facilities/{facility_id}/visit-slots",
          summary="Visit slots for an approved contact's inmate", tag="visits", roles=FAMILY,
          query=obj({"inmate_id": ID, "mode": string(enum=list(VISIT_MODES)), "from": DATE,
                     "to": DATE}),
          response=obj({"items": {"type": "array", "items": obj(
              {"slot_id": string(), "mode": string(), "starts_at": string(),
               "ends_at": string(), "available": INTEGER})},
              "next_bookable_date": NULLABLE_STRING}),
          problems=("inmate_not_found", "contact_not_approved", "invalid_date_range"),
          description=(
              "The bookable slots of one mode between two local dates (`to` inclusive, at most "
              "31 days), computed from the facility's weekly templates in its time zone, with the "
              "places left. A week whose allowance the inmate has used shows no slots, and "
              "`next_bookable_date` says when booking opens again."),
          example=Example(
              params={"facility_id": "demo-county", "inmate_id": "inm_A1001", "mode": "video",
                      "from": "2026-12-05", "to": "2026-12-05"},
              response={"items": [{"slot_id": "demo-county.video.20261205T1900Z",
                                   "mode": "video", "starts_at": STARTS, "ends_at": ENDS,
                                   "available": 3}],
                        "next_bookable_date": None}))
def visit_slots(request: ApiRequest, facility_id: str):
    query = request.query
    return booking.list_slots(request.principal, facility_id, query["inmate_id"], query["mode"],
                              _date(request, "from"), _date(request, "to"))


@endpoint(bp, "POST", "/v1/visits/holds", summary="Hold a place in a slot for 10 minutes",
          tag="visits", roles=FAMILY, body=obj({"slot_id": string(1, 200), "inmate_id": ID}),
          status=201, also_status=(200,),
          response=obj({"hold_id": string(), "expires_at": string()}),
          problems=("slot_not_found", "inmate_not_found", "contact_not_approved", "slot_full",
                    "inmate_unavailable", "allowance_used", "outside_booking_window"),
          description=(
              "Holds one place (table or station) of the slot for 10 minutes while the family "
              "books. Asking again for the same slot and inmate answers 200 with the live hold. "
              "A full slot is 409 `slot_full`; the inmate busy then, 409 `inmate_unavailable`; "
              "the week's allowance used, 409 `allowance_used` with `next_bookable_date`; outside "
              "the notice window, 422 `outside_booking_window`."),
          example=Example(request={"slot_id": "demo-county.video.20261205T1900Z",
                                   "inmate_id": "inm_A1001"},
                          response={"hold_id": "hld_8vQ2mL5xR1tN7pZ3wK9bYA",
                                    "expires_at": "2026-12-01T15:30:04Z"}))
def hold(request: ApiRequest):
    status, body = booking.hold(request.principal, request.body["slot_id"],
                                request.body["inmate_id"])
    return Reply(status, body)


@endpoint(bp, "POST", "/v1/visits", summary="Book a held slot", tag="visits", roles=FAMILY,
          body=obj({"hold_id": ID}, {"visitors": {"type": "array", "maxItems": 10,
                                                  "items": VISITOR},
                                     "payment_method_token": string(1, 255),
                                     "use_calling_balance": BOOLEAN}),
          status=201, response=obj({"visit_id": string(), "mode": string(), "status": string(),
                                    "starts_at": string(), "ends_at": string(),
                                    "price_cents": INTEGER}, {"join_opens_at": string()}),
          idempotent=True,
          problems=("hold_not_found", "too_many_visitors", "payment_method_required",
                    "insufficient_balance", "payment_declined", "processor_unavailable"),
          description=(
              "Turns a live hold into a visit: `requested` when the facility's staff approve "
              "visits, else `scheduled`. A video visit is paid now for its minutes at the "
              "facility's price per minute (never above the legal cap on the visit's day), by "
              "card (`payment_method_token`); on-site visits are free. Requires an "
              "`Idempotency-Key`."),
          example=Example(
              params={"Idempotency-Key": "visit-2026-12-05-marcus-01"},
              request={"hold_id": "hld_8vQ2mL5xR1tN7pZ3wK9bYA",
                       "visitors": [{"full_name": "Dana Lee", "date_of_birth": "1984-03-09"}],
                       "payment_method_token": "tok_visa"},
              response={"visit_id": VISIT_ID, "mode": "video", "status": "scheduled",
                        "starts_at": STARTS, "ends_at": ENDS, "price_cents": 450,
                        "join_opens_at": "2026-12-05T18:50:00Z"}))
def book(request: ApiRequest):
    return booking.book(request.principal, request.body, request.idempotency_key)


@endpoint(bp, "GET", "/v1/visits", summary="My visits, soonest first", tag="visits",
          roles=FAMILY, query=obj(optional=PAGINATION), response=page_of(VISIT),
          description="The family's visits, soonest first, with each one's status.",
          example=Example(params={"limit": 20},
                          response={"items": [VISIT_EXAMPLE], "next_cursor": None}))
def my_visits(request: ApiRequest):
    return lifecycle.list_family(request.principal, *_page(request))


@endpoint(bp, "GET", "/v1/visits/{visit_id}", summary="A visit and its timeline", tag="visits",
          roles=FAMILY, response=VISIT, problems=("visit_not_found",),
          description="One of the family's visits with its timeline (every status, when, by whom, "
                      "why).",
          example=Example(params={"visit_id": VISIT_ID}, response=VISIT_EXAMPLE))
def my_visit(request: ApiRequest, visit_id: str):
    return lifecycle.render(lifecycle.family_visit(request.principal, visit_id))


@endpoint(bp, "POST", "/v1/visits/{visit_id}/cancel", summary="Cancel my visit", tag="visits",
          roles=FAMILY, response=VISIT,
          problems=("visit_not_found", "already_started", "visit_state_changed"),
          description=(
              "Cancels the visit: a full refund up to 1 hour before the start, none later; after "
              "the start, 409 `already_started`. Repeating a done cancellation answers the same."),
          example=Example(params={"visit_id": VISIT_ID},
                          response={**VISIT_EXAMPLE, "status": "cancelled", "refund_cents": 450,
                                    "cancelled_by": "family", "reason": "family_cancelled",
                                    "reason_text": "Cancelled by you"}))
def cancel(request: ApiRequest, visit_id: str):
    return lifecycle.cancel_by_family(request.principal, visit_id)


JOIN_DESCRIPTION = (
    "From 10 minutes before the start until the end: the Amazon Chime SDK meeting "
    "(CreateMeeting's `Meeting`) and this participant's attendee (CreateAttendee's `Attendee`) "
    "for the client SDK. Earlier, 409 `not_joinable_now` with `opens_at`; later, the same with "
    "`closed_at`; an on-site visit, 409 `not_video`.")


@endpoint(bp, "POST", "/v1/visits/{visit_id}/join", summary="Join my video visit",
          tag="visits", roles=FAMILY, response=JOIN,
          problems=("visit_not_found", "not_video", "not_joinable_now", "video_unavailable"),
          description=JOIN_DESCRIPTION,
          example=Example(params={"visit_id": VISIT_ID},
                          response={"meeting": MEETING_EXAMPLE, "attendee": ATTENDEE_EXAMPLE}))
def join(request: ApiRequest, visit_id: str):
    return sessions.join(request.principal, visit_id, as_inmate=False)


# --- inmates -----------------------------------------------------------------------------------

@endpoint(bp, "GET", "/v1/inmate/visits", summary="My upcoming visits", tag="inmate",
          roles=INMATE, query=obj(optional=PAGINATION), headers=(KIOSK_KEY,),
          response=page_of(obj({"visit_id": string(), "mode": string(), "status": string(),
                                "starts_at": string(), "ends_at": string()},
                               {"family_name": string(),
                                "visitors": {"type": "array", "items": {"type": "object"}}})),
          description="The inmate's visits from today on, soonest first (kiosk sessions only).",
          example=Example(
              params={"X-Kiosk-Key": "kio_demo.demo-kiosk-key-change-me-7Qm2xV9pL4tR8wZ1"},
              response={"items": [{"visit_id": VISIT_ID, "mode": "video", "status": "scheduled",
                                   "starts_at": STARTS, "ends_at": ENDS,
                                   "family_name": "Dana Lee",
                                   "visitors": [{"full_name": "Dana Lee"}]}],
                        "next_cursor": None}))
def inmate_visits(request: ApiRequest):
    return lifecycle.list_inmate(request.principal, *_page(request))


@endpoint(bp, "POST", "/v1/inmate/visits/{visit_id}/join", summary="Join a video visit (kiosk)",
          tag="inmate", roles=INMATE, response=JOIN, headers=(KIOSK_KEY,),
          problems=("visit_not_found", "not_video", "not_joinable_now", "video_unavailable"),
          description=JOIN_DESCRIPTION,
          example=Example(
              params={"visit_id": VISIT_ID,
                      "X-Kiosk-Key": "kio_demo.demo-kiosk-key-change-me-7Qm2xV9pL4tR8wZ1"},
              response={"meeting": MEETING_EXAMPLE,
                        "attendee": {**ATTENDEE_EXAMPLE, "ExternalUserId": "inmate:inm_A1001"}}))
def inmate_join(request: ApiRequest, visit_id: str):
    return sessions.join(request.principal, visit_id, as_inmate=True)


# --- staff ---------------------------------------------------------------------------------

def _facility(request: ApiRequest) -> str:
    return facilities.facility_in_charge(request.principal, request.query.get("facility_id"))


STAFF_QUERY = obj(optional=FACILITY_QUERY)


@endpoint(bp, "GET", "/v1/staff/visits", summary="The visits of one local day", tag="staff",
          roles=STAFF_OR_ADMIN, query=obj({"date": DATE}, {**PAGINATION, **FACILITY_QUERY}),
          response=page_of(VISIT),
          description="The facility's visits on one local date, by start time, every status.",
          example=Example(params={"date": "2026-12-05", "limit": 20},
                          response={"items": [STAFF_VISIT_EXAMPLE], "next_cursor": None}))
def staff_day(request: ApiRequest):
    return lifecycle.day_list(_facility(request), lifecycle.valid_day(request.query["date"]),
                              *_page(request))


@endpoint(bp, "POST", "/v1/staff/visits/{visit_id}/decision",
          summary="Approve or decline a visit request", tag="staff", roles=STAFF_OR_ADMIN,
          query=STAFF_QUERY,
          body=obj({"decision": string(enum=["approve", "decline"])}, {"reason": REASON}),
          response=VISIT,
          problems=("visit_not_found", "visit_state_changed", "invalid_reason"),
          description=(
              "Approves a requested visit (it becomes `scheduled`) or declines it with a reason "
              "from the facility's list (`GET /v1/staff/rejection-reasons`); a decline refunds "
              "the whole price and tells the family why."),
          example=Example(params={"visit_id": VISIT_ID}, request={"decision": "approve"},
                          response=STAFF_VISIT_EXAMPLE))
def decide(request: ApiRequest, visit_id: str):
    return lifecycle.decide(request.principal, _facility(request), visit_id,
                            request.body["decision"], request.body.get("reason"))


@endpoint(bp, "POST", "/v1/staff/visits/{visit_id}/cancel", summary="Cancel a visit",
          tag="staff", roles=STAFF_OR_ADMIN, query=STAFF_QUERY, body=obj({"reason": REASON}),
          response=VISIT, problems=("visit_not_found", "visit_state_changed", "invalid_reason"),
          description=(
              "Cancels a requested, scheduled or running visit with a reason from the facility's "
              "list: the family gets the whole price back and a notice with the reason."),
          example=Example(params={"visit_id": VISIT_ID}, request={"reason": "safety"},
                          response={**STAFF_VISIT_EXAMPLE, "status": "cancelled",
                                    "cancelled_by": "staff", "reason": "safety",
                                    "reason_text": "Threatens safety or security",
                                    "refund_cents": 450}))
def staff_cancel(request: ApiRequest, visit_id: str):
    return lifecycle.cancel_by_staff(request.principal, _facility(request), visit_id,
                                     request.body["reason"])


@endpoint(bp, "POST", "/v1/staff/visits/{visit_id}/check-in", summary="Check a visit in",
          tag="staff", roles=STAFF_OR_ADMIN, query=STAFF_QUERY, response=VISIT,
          problems=("visit_not_found", "visit_state_changed"),
          description="The visitors arrived: the visit is `in_progress`.",
          example=Example(params={"visit_id": VISIT_ID},
                          response={**STAFF_VISIT_EXAMPLE, "status": "in_progress"}))
def check_in(request: ApiRequest, visit_id: str):
    return lifecycle.check_in(request.principal, _facility(request), visit_id)


@endpoint(bp, "POST", "/v1/staff/visits/{visit_id}/no-show", summary="Mark a visit a no-show",
          tag="staff", roles=STAFF_OR_ADMIN, query=STAFF_QUERY, response=VISIT,
          problems=("visit_not_found", "visit_state_changed", "not_started"),
          description="The family did not come (after the start only); nothing is refunded.",
          example=Example(params={"visit_id": VISIT_ID},
                          response={**STAFF_VISIT_EXAMPLE, "status": "no_show"}))
def mark_no_show(request: ApiRequest, visit_id: str):
    return lifecycle.no_show(request.principal, _facility(request), visit_id)


# --- the video service ---------------------------------------------------------------------

@endpoint(bp, "POST", "/v1/webhooks/video", summary="The video service's meeting events (signed)",
          tag="webhooks",
          headers=(Header("X-Video-Signature", True,
                          description="HMAC-SHA256 (hex) of the body with the stage's secret"),),
          body=obj({"type": string(enum=list(EVENTS)), "external_meeting_id": ID},
                   {"external_user_id": string(1, 128), "at": string(1, 40),
                    "reason": string(enum=list(END_REASONS))}),
          response=obj({"visit_id": string(), "status": string()}),
          problems=("invalid_signature", "visit_not_found"),
          description=(
              "Called by the video service's event forwarder, not by clients: attendee joins and "
              "leaves and meeting ends. A visit is in progress once both sides joined; a meeting "
              "ended early by staff or the system refunds the undelivered minutes."),
          example=Example(request={"type": "attendee_joined", "external_meeting_id": VISIT_ID,
                                   "external_user_id": "family:acc_Q2hL9xv7RkT1mWb3ZpN5eA",
                                   "at": "2026-12-05T19:00:12Z"},
                          response={"visit_id": VISIT_ID, "status": "scheduled"}))
def video_webhook(request: ApiRequest):
    raw = bp.current_request.raw_body or b""
    return sessions.video_event(raw.decode("utf-8", "replace"),
                                request.headers.get("x-video-signature"), request.body)

