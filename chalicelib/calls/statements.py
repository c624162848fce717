"""Monthly statements (api.md "Calls"): the month's deposits, calls, stamps, what was paid from
the calling balance (visits included), refunds, and the opening and closing balances, with the
month in the facility's time zone; a job emails last month's on the 1st.  Each part is a Query
bounded by the month, so a statement costs what the month holds, not the history.  Services
above calls (visits) add their section with ``add_section``: calls does not import them.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from chalicelib import facilities, payments
from chalicelib.accounts import ActivityEvent, account_by_id
from chalicelib.calls.service import render
from chalicelib.calls.store import Call
from chalicelib.core import clock, lazy
from chalicelib.core.errors import InvalidRequest, NotFound
from chalicelib.core.i18n import _
from chalicelib.core.notify import notifier

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _bounds(month: str, time_zone: str) -> tuple[str, str]:
    found = MONTH.match(month)
    if found is None:
        raise InvalidRequest(_("The month is written YYYY-MM."),
                             errors=[{"field": "month", "problem": _("must be YYYY-MM")}])
    year, number = int(found.group(1)), int(found.group(2))
    zone = ZoneInfo(time_zone)
    start = datetime(year, number, 1, tzinfo=zone)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return tuple(moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for moment in (start, end))


# name -> items(account_id, facility_id, start, end): a section of the statement from a
# capability above this one (the visits of the month).
_SECTIONS: dict[str, Callable[[str, str, str, str], list[dict]]] = {}


def add_section(name: str, items: Callable[[str, str, str, str], list[dict]]) -> None:
    _SECTIONS[name] = items


def statement(account_id: str, facility_id: str, month: str) -> dict:
    facility = facilities.facility(facility_id)
    if facility is None:
        raise NotFound(_("No such facility."))
    start, end = _bounds(month, facility.timezone or "UTC")
    calls = [render(call) for call in Call.by_account.query(
        account_id, Call.authorized_at.between(start, end)) if call.facility_id == facility_id]
    stamps = []
    for event in ActivityEvent.query(account_id, ActivityEvent.event_key.between(start, end)):
        detail = event.detail.as_dict()
        if event.type == "stamps_purchased" and detail.get("facility_id") == facility_id:
            stamps.append({"purchase_id": detail.get("purchase_id"), "at": event.at,
                           "quantity": int(detail.get("quantity", 0)),
                           "total_cents": int(detail.get("total_cents", 0))})
    money = payments.calling_statement_money(account_id, facility_id, start, end)
    lazy.load_registrations("statement")
    return {"month": month, "facility_id": facility_id, "time_zone": facility.timezone or "UTC",
            "from": start, "to": end, **money, "calls": calls,
            "call_charges_cents": sum(call["charge_cents"] for call in calls
                                      if call["payer"] == "family"),
            "stamps": stamps,
            **{name: items(account_id, facility_id, start, end)
               for name, items in _SECTIONS.items()}}


def email_last_month() -> int:
    """Daily, acting on the 1st only: last month's statement to each family whose calling
    balance was active then (a Query of that month's wallets)."""
    today = clock.iso()[:10]
    if today[8:] != "01":
        return 0
    year, number = int(today[:4]), int(today[5:7])
    month = f"{year - (number == 1)}-{(number - 2) % 12 + 1:02d}"
    sent = 0
    for account_id, facility_id in payments.calling_wallets_active_in(month):
        account = account_by_id(account_id)
        if account is None:
            continue
        summary = statement(account_id, facility_id, month)
        notifier().email(account.email, "monthly_statement", language=account.language,
                         full_name=account.full_name, month=month,
                         facility_name=facilities.facility(facility_id).name,
                         opening_cents=summary["opening_balance_cents"],
                         closing_cents=summary["closing_balance_cents"],
                         calls=len(summary["calls"]),
                         call_charges_cents=summary["call_charges_cents"])
        sent += 1
    return sent
