"""Visits: on-site and video visit booking (docs/api.md "Visits"): slots from the facility's
weekly templates, 10-minute holds on one item per place, bookings paid by card for video,
staff decisions, remedies and refunds, reminders, and video sessions on Amazon Chime SDK.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
It registers the visits' data rights and the roster's release listener on import.
"""
from chalicelib import calls, facilities, payments
from chalicelib.core import datarights
from chalicelib.core.store import get_or_none
from chalicelib.core.i18n import N_
from chalicelib.visits.lifecycle import on_inmate_released, run_due
from chalicelib.visits.sessions import meeting_event as record_meeting_event
from chalicelib.visits.store import InmateWeek, Visit, VisitHold, VisitPlace


def export(account_id: str) -> dict[str, list[dict]]:
    """The account's visits (with their timelines) and what was paid and refunded."""
    from chalicelib.visits.lifecycle import render

    visits = [render(visit) for visit in Visit.by_account.query(account_id)]
    # Holds live 10 minutes; places and weeks name no one: nothing of them to export.
    return {"visits": visits,
            "visit_charges": payments.export_visit_charges(
                account_id, [visit["visit_id"] for visit in visits])}


def erase(account_id: str) -> None:
    """Visitors' names and birth dates go; the visit (who, when, money) stays, pseudonymised."""
    for visit in Visit.by_account.query(account_id):
        visit.update(actions=[Visit.visitors.set([]), Visit.family_name.set("erased")])


def settle(account_id: str) -> dict[str, list[dict]]:
    from chalicelib.visits.lifecycle import cancel_for_closed_account

    return {"visits_cancelled": cancel_for_closed_account(account_id)}


datarights.register(datarights.Holding(
    "visits", (Visit, VisitHold, VisitPlace, InmateWeek, payments.VisitCharge), export, erase,
    settle=settle,
    kept=(datarights.Kept(N_("Visits and their payments and refunds, without the visitors' "
                             "names"),
                          N_("Records of money moved are kept for audits, disputes and the "
                             "law; they hold no email, name or phone."), 7 * 365),)))
facilities.on_release(on_inmate_released)


def _statement_visits(account_id: str, facility_id: str, start: str, end: str) -> list[dict]:
    """The statement's visits: those starting in the month, with price and refund."""
    from chalicelib.visits.lifecycle import render

    return [render(visit) for visit in Visit.by_account.query(
        account_id, Visit.starts_key.between(start, end)) if visit.facility_id == facility_id]


calls.add_statement_section("visits", _statement_visits)


def run_visit_jobs() -> dict[str, int]:
    """The scheduled job: what is due (reminders, cut-offs, ends), then owed card refunds."""
    done = run_due()
    done["card_refunds_settled"] = payments.settle_visit_refunds()
    return done


__all__ = ["run_visit_jobs", "record_meeting_event", "on_inmate_released", "visit_by_id"]


def visit_by_id(visit_id: str) -> Visit | None:
    """The visit (support checks that a ticket's visit is the family's own)."""
    return get_or_none(Visit, visit_id)
