"""What visits hold about a family account: its visits (with their timelines) and their
charges; erasure keeps each visit, without the visitors' names (docs/decisions/data-rights.md)."""
from __future__ import annotations

from chalicelib import payments
from chalicelib.core import datarights
from chalicelib.core.i18n import N_
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
