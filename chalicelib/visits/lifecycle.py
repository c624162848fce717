"""What happens to a visit after booking (docs/api.md "Visits"): staff decisions, check-in,
no-show, cancellations with their remedies, the inmate's release, delivered video minutes, and
the scheduled job (reminders, undecided requests declined at the cut-off, the end of a visit).

Every transition is one ``TransactWriteItems``: the visit's status conditioned on the states
the transition starts from, its timeline line, its audit line, the place and the inmate's time
given back when it frees them, and the refund journal when money goes back; the card refund is
sent after the commit.  Remedies: a family cancelling at least an hour ahead, and every staff or
system cancellation, decline or release, get the whole price back; a video visit that never
connected, or ended early for a staff or system reason, gets the undelivered minutes back.
Why: docs/decisions/visits.md
"""
from __future__ import annotations

import json
import logging
from datetime import date

from pynamodb.transactions import TransactWrite

from chalicelib import facilities, payments
from chalicelib.core import audit, clock, dependencies
from chalicelib.core.errors import Conflict, InvalidRequest, NotFound
from chalicelib.core.i18n import _
from chalicelib.core.identity import Principal
from chalicelib.core.logs import log_event
from chalicelib.core.store import (StateChanged, decode_cursor, get_or_none, page, write_together,
                                   written)
from chalicelib.visits import notices, states, video
from chalicelib.visits.states import Transition
from chalicelib.visits.store import DUE, InmateWeek, TimelineLine, Visit, VisitPlace

FAMILY_FULL_REFUND_SECONDS = 60 * 60
REMINDERS = (24 * 60 * 60, 60 * 60)  # before the start
JOB_BATCH = 100


def visit_not_found() -> NotFound:
    return NotFound(_("No such visit."), code="visit_not_found")


def state_changed(visit: Visit) -> Conflict:
    return Conflict(_("This visit is %(status)s: that is no longer possible.",
                      status=visit.status), code="visit_state_changed", visit_status=visit.status)


# --- the due index -------------------------------------------------------------------------

def next_due(visit: Visit) -> int | None:
    """When the job has something to do for ``visit`` next (epoch seconds), or None."""
    starts, ends = int(visit.starts), int(visit.ends)
    if visit.status == states.REQUESTED:
        return starts - int(visit.minimum_notice_hours) * 3600 // 2
    if visit.status not in (states.SCHEDULED, states.IN_PROGRESS):
        return None
    sent = int(visit.reminders_sent or 0)
    if visit.status == states.SCHEDULED and sent < len(REMINDERS):
        return starts - REMINDERS[sent]
    if visit.mode == states.VIDEO or visit.status == states.IN_PROGRESS:
        return ends
    return None  # an on-site visit nobody checked in: staff say what happened


def due_fields(visit: Visit) -> tuple[str | None, str | None]:
    due = next_due(visit)
    return (DUE, f"{clock.iso(due)}#{visit.visit_id}") if due is not None else (None, None)


def _due_actions(visit: Visit) -> list:
    lane, due_at = due_fields(visit)
    if lane is None:
        return [Visit.due_lane.remove(), Visit.due_at.remove()]
    return [Visit.due_lane.set(lane), Visit.due_at.set(due_at)]


# --- transitions ---------------------------------------------------------------------------

def apply(visit: Visit, transition: Transition, by: Principal | None, *, reason: str | None = None,
          refund_cents: int = 0, actions: tuple = (), cancelled_by: str | None = None,
          reason_texts: dict | None = None, sources: tuple | None = None) -> Visit:
    """Apply ``transition`` once (or raise 409 ``visit_state_changed``) and send what follows:
    the card refund, the family's notice."""
    now = clock.now()
    role = by.role if by is not None else "system"
    before = visit.status
    if before not in (sources or transition.sources):
        raise state_changed(visit)
    visit.status = transition.target
    visit.refund_cents = int(visit.refund_cents or 0) + refund_cents
    line = TimelineLine(status=transition.target, at=clock.iso(now), by_role=role, reason=reason)
    update = [Visit.status.set(transition.target), Visit.timeline.set(Visit.timeline.append([line])),
              *_due_actions(visit), *actions]
    if reason is not None:
        update.append(Visit.reason.set(reason))
        visit.reason = reason
    if reason_texts is not None:
        update.append(Visit.reason_texts.set(reason_texts))
        visit.reason_texts = reason_texts
    if cancelled_by is not None:
        update.append(Visit.cancelled_by.set(cancelled_by))
        visit.cancelled_by = cancelled_by
    if refund_cents:
        update.append(Visit.refund_cents.add(refund_cents))
    entry = audit.entry(f"visit#{visit.visit_id}", by, transition.name, before,
                        transition.target, reason=reason)

    def fill(transaction: TransactWrite) -> None:
        transaction.update(visit, actions=update, condition=Visit.status == before)
        audit.append(transaction, entry)
        if transition.frees_place:
            transaction.update(VisitPlace(visit.lane, visit.place), actions=[
                VisitPlace.holder.remove(), VisitPlace.holder_kind.remove()],
                condition=VisitPlace.holder == visit.visit_id)
            transaction.update(InmateWeek(visit.inmate_week), actions=[
                InmateWeek.released.add({visit.entry_id}), InmateWeek.version.add(1)])
        if refund_cents:
            payments.refund_visit_in(transaction, visit.visit_id, visit.facility_id,
                                     refund_cents, clock.iso(now))

    try:
        write_together(fill, {Visit: StateChanged})
    except StateChanged:
        current = get_or_none(Visit, visit.visit_id) or visit
        raise state_changed(current) from None
    visit.timeline = [*(visit.timeline or []), line]
    log_event("visit_" + transition.name, visit_id=visit.visit_id, refund_cents=refund_cents)
    if refund_cents:
        payments.send_visit_refund(visit.visit_id)
    notices.changed(visit, refund_cents)
    return visit


def _full_refund(visit: Visit) -> int:
    return int(visit.price_cents or 0) - int(visit.refund_cents or 0)


# --- family --------------------------------------------------------------------------------

def family_visit(principal: Principal, visit_id: str) -> Visit:
    found = get_or_none(Visit, visit_id)
    if found is None or found.account_id != principal.account_id:
        raise visit_not_found()
    return found


def cancel_by_family(principal: Principal, visit_id: str) -> dict:
    """Full refund up to an hour before the start, none later, 409 once it started.  A repeat
    of a done cancellation answers the same (idempotent by the visit)."""
    visit = family_visit(principal, visit_id)
    now = clock.now()
    if visit.status == states.CANCELLED and visit.cancelled_by == states.CancelledBy.FAMILY:
        return {**render(visit), "refund_cents": int(visit.refund_cents or 0)}
    if now >= int(visit.starts) and visit.status in states.LIVE:
        raise Conflict(_("This visit has already started."), code="already_started")
    refund = _full_refund(visit) if now <= int(visit.starts) - FAMILY_FULL_REFUND_SECONDS else 0
    visit = apply(visit, states.CANCEL, principal, reason=states.FAMILY_CANCELLED,
                  refund_cents=refund, cancelled_by=states.CancelledBy.FAMILY)
    return {**render(visit), "refund_cents": refund}


def list_family(principal: Principal, limit: int, cursor: str | None) -> dict:
    """Soonest first (by start), upcoming and past alike."""
    scope = f"visits:{principal.account_id}"
    results = Visit.by_account.query(principal.account_id, limit=limit,
                                     last_evaluated_key=decode_cursor(cursor, scope))
    return page(results, scope, render)


def list_inmate(principal: Principal, limit: int, cursor: str | None) -> dict:
    """The inmate's visits from today on, soonest first."""
    scope = f"inmate-visits:{principal.account_id}"
    today = clock.iso()[:10]
    results = Visit.by_inmate.query(principal.account_id, Visit.starts_key >= today, limit=limit,
                                    last_evaluated_key=decode_cursor(cursor, scope))
    return page(results, scope, render_for_inmate)


# --- staff ---------------------------------------------------------------------------------

def staff_visit(facility_id: str, visit_id: str) -> Visit:
    found = get_or_none(Visit, visit_id)
    if found is None or found.facility_id != facility_id:
        raise visit_not_found()
    return found


def day_list(facility_id: str, day: str, limit: int, cursor: str | None) -> dict:
    scope = f"visit-day:{facility_id}:{day}"
    results = Visit.by_facility_day.query(f"{facility_id}#{day}", limit=limit,
                                          last_evaluated_key=decode_cursor(cursor, scope))
    return page(results, scope, render_for_staff)


def _reason_of_facility(facility_id: str, given: str | None) -> tuple[str, dict]:
    rules = facilities.facility(facility_id).rules.as_dict()
    code = facilities.reason_code(rules, given)
    if code is None:
        allowed = [known["code"] for known in facilities.rejection_reasons(rules)]
        raise InvalidRequest(_("reason must be one of the facility's reasons."),
                             code="invalid_reason", allowed_reasons=allowed,
                             errors=[{"field": "reason", "problem": _(
                                 "must be one of %(choices)s", choices="; ".join(allowed))}])
    return code, facilities.reason_texts(rules, code)


def decide(principal: Principal, facility_id: str, visit_id: str, decision: str,
           reason: str | None) -> dict:
    visit = staff_visit(facility_id, visit_id)
    if decision == "approve":
        return render_for_staff(apply(visit, states.APPROVE, principal))
    code, texts = _reason_of_facility(facility_id, reason)
    return render_for_staff(apply(visit, states.DECLINE, principal, reason=code,
                                  reason_texts=texts, refund_cents=_full_refund(visit)))


def cancel_by_staff(principal: Principal, facility_id: str, visit_id: str, reason: str) -> dict:
    visit = staff_visit(facility_id, visit_id)
    code, texts = _reason_of_facility(facility_id, reason)
    if visit.status == states.CANCELLED and visit.cancelled_by == states.CancelledBy.STAFF:
        return render_for_staff(visit)  # a repeat changes nothing
    return render_for_staff(apply(visit, states.CANCEL, principal, reason=code,
                                  reason_texts=texts, refund_cents=_full_refund(visit),
                                  cancelled_by=states.CancelledBy.STAFF,
                                  sources=states.LIVE))


def check_in(principal: Principal, facility_id: str, visit_id: str) -> dict:
    visit = staff_visit(facility_id, visit_id)
    if visit.status == states.IN_PROGRESS:
        return render_for_staff(visit)
    return render_for_staff(apply(visit, states.CHECK_IN, principal))


def no_show(principal: Principal, facility_id: str, visit_id: str) -> dict:
    """The family did not come (no refund); only once the visit has started."""
    visit = staff_visit(facility_id, visit_id)
    if visit.status == states.NO_SHOW:
        return render_for_staff(visit)
    if clock.now() < int(visit.starts):
        raise Conflict(_("A visit can be marked a no-show only once it has started."),
                       code="not_started")
    return render_for_staff(apply(visit, states.MARK_NO_SHOW, principal))


# --- the system ----------------------------------------------------------------------------

def on_inmate_released(facility_id: str, inmate_ids: list[str], import_id: str) -> None:
    """A roster release or transfer cancels the person's coming visits with a full refund."""
    today = clock.iso()[:10]
    for inmate_id in inmate_ids:
        for visit in Visit.by_inmate.query(inmate_id, Visit.starts_key >= today):
            if visit.status in (states.REQUESTED, states.SCHEDULED):
                _system_cancel(visit, states.INMATE_RELEASED)


def cancel_for_closed_account(account_id: str) -> list[dict]:
    """Before an account is erased: its coming visits are cancelled with a full refund."""
    today = clock.iso()[:10]
    cancelled = []
    for visit in Visit.by_account.query(account_id):
        if visit.status in (states.REQUESTED, states.SCHEDULED) and visit.starts_key >= today:
            _system_cancel(visit, states.ACCOUNT_CLOSED)
            cancelled.append({"visit_id": visit.visit_id, "refund_cents": _full_refund(visit)})
    return cancelled


def _system_cancel(visit: Visit, reason: str) -> None:
    try:
        apply(visit, states.CANCEL, None, reason=reason, refund_cents=_full_refund(visit),
              cancelled_by=states.CancelledBy.SYSTEM)
    except Conflict:
        pass  # decided meanwhile by someone else


def run_jobs() -> dict[str, int]:
    """The scheduled job: what is due (reminders, cut-offs, ends), then owed card refunds."""
    done = run_due()
    done["card_refunds_settled"] = payments.settle_visit_refunds()
    return done


class _Skip(Exception):
    """Nothing to do for this visit now (another run did it, or its end is not reached)."""


def run_due(limit: int = JOB_BATCH) -> dict[str, int]:
    """The scheduled job: one Query of what is due, then each visit's due work."""
    now = clock.now()
    done = {"declined": 0, "reminded": 0, "ended": 0}
    for key_only in Visit.by_due.query(DUE, Visit.due_at <= clock.iso(now) + "~", limit=limit):
        visit = get_or_none(Visit, key_only.visit_id)
        if visit is None or visit.due_at is None or visit.due_at > clock.iso(now) + "~":
            continue
        try:
            done[_work(visit, now)] += 1
        except (Conflict, _Skip):
            continue  # changed meanwhile, or not due after all; its due time stands
        except Exception as error:  # one visit's failure must not stop the others
            if not dependencies.is_transient(error):
                raise
            log_event("visit_job_failed", logging.ERROR, visit_id=visit.visit_id,
                      **dependencies.describe(error))
    log_event("visit_jobs_run", **done)
    return done


def _work(visit: Visit, now: float) -> str:
    if visit.status == states.REQUESTED:
        apply(visit, states.DECLINE, None, reason=states.NOT_DECIDED_IN_TIME,
              refund_cents=_full_refund(visit))
        return "declined"
    sent = int(visit.reminders_sent or 0)
    if visit.status == states.SCHEDULED and sent < len(REMINDERS):
        # A reminder whose moment passed unsent (the job was late) is skipped, not sent late.
        late = now >= int(visit.starts) - (REMINDERS[sent + 1] if sent + 1 < len(REMINDERS)
                                           else 0)
        _mark_reminded(visit, sent, sent + 1)
        if not late:
            notices.reminder(visit, REMINDERS[sent])
        return "reminded"
    if now < int(visit.ends):
        raise _Skip()
    end(visit, reason=None)
    return "ended"


def _mark_reminded(visit: Visit, sent: int, upto: int) -> None:
    """Mark reminders sent up to ``upto`` once, whoever runs the job, and move the due time."""
    visit.reminders_sent = upto
    lane, due_at = due_fields(visit)
    actions = [Visit.reminders_sent.set(upto)]
    actions += [Visit.due_lane.set(lane), Visit.due_at.set(due_at)] if lane else \
        [Visit.due_lane.remove(), Visit.due_at.remove()]
    if not written(lambda: visit.update(actions=actions, condition=(
            Visit.reminders_sent == sent) & (Visit.status == states.SCHEDULED))):
        raise _Skip()


def end(visit: Visit, reason: str | None, at: float | None = None) -> Visit:
    """The end of a visit: completed, with the undelivered video minutes refunded when it never
    connected or ended early for a staff or system ``reason``; the meeting is deleted."""
    if visit.status not in (states.SCHEDULED, states.IN_PROGRESS):
        raise state_changed(visit)
    if visit.mode == states.ONSITE and visit.status == states.SCHEDULED:
        raise state_changed(visit)
    ends = int(visit.ends) if at is None else min(int(at), int(visit.ends))
    delivered = booked = (int(visit.ends) - int(visit.starts)) // 60
    refund = 0
    if visit.mode == states.VIDEO:
        connected = visit.connected_at
        delivered = 0 if connected is None else max(0, (ends - int(connected)) // 60)
        delivered = min(delivered, booked) if reason or connected is None else booked
        refund = min(_full_refund(visit),
                     (booked - delivered) * int(visit.price_cents_per_minute or 0))
    actions = (Visit.delivered_minutes.set(delivered),)
    if reason is not None:
        actions += (Visit.end_reason.set(reason), Visit.ended_at.set(ends))
    visit = apply(visit, states.COMPLETE, None, reason=reason, refund_cents=refund,
                  actions=actions)
    if visit.meeting:
        video.rooms().delete_meeting(json.loads(visit.meeting)["MeetingId"])
    return visit


# --- views -------------------------------------------------------------------------------------

def render(visit: Visit) -> dict:
    body = {"visit_id": visit.visit_id, "mode": visit.mode, "status": visit.status,
            "facility_id": visit.facility_id, "inmate_id": visit.inmate_id,
            "inmate_name": visit.inmate_name, "starts_at": visit.starts_at,
            "ends_at": visit.ends_at, "price_cents": int(visit.price_cents or 0),
            "refund_cents": int(visit.refund_cents or 0),
            "cancelled_by": visit.cancelled_by, "reason": visit.reason,
            "reason_text": notices.reason_words(visit),
            "visitors": [{"full_name": v.full_name, "date_of_birth": v.date_of_birth}
                         for v in visit.visitors or []],
            "timeline": [{"status": line.status, "at": line.at, "by_role": line.by_role,
                          "reason": line.reason} for line in visit.timeline or []]}
    if visit.mode == states.VIDEO:
        body["join_opens_at"] = clock.iso(int(visit.starts) - 600)
        body["delivered_minutes"] = None if visit.delivered_minutes is None \
            else int(visit.delivered_minutes)
    return body


def render_for_staff(visit: Visit) -> dict:
    return {**render(visit), "account_id": visit.account_id, "family_name": visit.family_name}


def render_for_inmate(visit: Visit) -> dict:
    return {"visit_id": visit.visit_id, "mode": visit.mode, "status": visit.status,
            "starts_at": visit.starts_at, "ends_at": visit.ends_at,
            "family_name": visit.family_name,
            "visitors": [{"full_name": v.full_name} for v in visit.visitors or []]}


def valid_day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidRequest(_("date must be a date, YYYY-MM-DD."), errors=[
            {"field": "query.date", "problem": _("must be a date, YYYY-MM-DD")}]) from None


def statement_visits(account_id: str, facility_id: str, start: str, end: str) -> list[dict]:
    """The monthly statement's visits: those starting in the month, with price and refund."""
    return [render(visit) for visit in Visit.by_account.query(
        account_id, Visit.starts_key.between(start, end)) if visit.facility_id == facility_id]

