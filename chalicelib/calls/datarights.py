"""What calls hold about a family account: its calls, kept as money records with the number
called erased (docs/decisions/data-rights.md)."""
from __future__ import annotations

from chalicelib.calls.store import Call, CallDrop, Release
from chalicelib.core import datarights
from chalicelib.core.i18n import N_


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
