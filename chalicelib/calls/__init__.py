"""Calls: the facility call platform's API (authorise, end), rating at the legal cap, the
family's call records, releasing holds of calls never ended, refunds on release.  The media of a
call stays with the platform; who may call, who pays and how much are decided here.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
"""
from chalicelib import facilities
from chalicelib.calls.service import authorize, calls_of, end, refund_on_release, release_lapsed
from chalicelib.calls.statements import add_section as add_statement_section
from chalicelib.calls.statements import email_last_month as email_monthly_statements
from chalicelib.calls.store import Call, CallDrop, Release
from chalicelib.core import datarights
from chalicelib.core.store import get_or_none
from chalicelib.core.i18n import N_

__all__ = ["authorize", "end", "calls_of", "release_lapsed", "refund_on_release",
           "email_monthly_statements", "call_by_id",
           # a service above calls adds its part of the monthly statement (visits)
           "add_statement_section"]


def call_by_id(call_id: str) -> Call | None:
    """The call record (support checks that a ticket's call reached the family's number)."""
    return get_or_none(Call, call_id)


def _export(account_id: str) -> dict[str, list[dict]]:
    from chalicelib.calls.service import render

    return {"calls": [render(call) for call in Call.by_account.query(account_id)]}


def _erase(account_id: str) -> None:
    """Calls are money records: kept, with the number that was called replaced."""
    for call in Call.by_account.query(account_id):
        call.update(actions=[Call.dialed_number.set("erased")])


datarights.register(datarights.Holding(
    "calls", (Call, CallDrop, Release), _export, _erase,
    kept=(datarights.Kept(N_("Calls to your numbers: when, how long, what they cost, without "
                             "the number called"),
                          N_("Records of money moved are kept for audits, disputes and the "
                             "law; they hold no email, name or phone."), 7 * 365),)))
facilities.on_release(refund_on_release)
