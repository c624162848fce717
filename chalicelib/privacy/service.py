"""Data rights of a family account: the export of everything held about it, and its deletion.
Both walk the registry (core.datarights) that every capability fills from its face.
Why: docs/decisions/data-rights.md
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib import accounts
from chalicelib.core import clock, datarights
from chalicelib.core.i18n import _
from chalicelib.core.logs import log_event
from chalicelib.core.notify import notifier
from chalicelib.core.store import decode_cursor, encode_cursor
from chalicelib.privacy import core_holding  # noqa: F401 (registers core's own tables)

SCHEMA_VERSION = 1
# A page holds whole capabilities until it has at least this many items (each capability's
# items are gathered by its own Queries, so a page is never cut inside one).
PAGE_ITEMS = 5000


def _walk() -> list[datarights.Holding]:
    """Stable order across pages; accounts last, so erasure frees the address at the end."""
    return sorted(datarights.holdings(), key=lambda h: (h.capability == "accounts", h.capability))


def export(account_id: str, cursor: str | None = None) -> dict:
    scope = f"export:{account_id}"
    walk = _walk()
    index = int((decode_cursor(cursor, scope) or {}).get("holding", 0))
    data: dict[str, dict[str, list[dict]]] = {}
    items = 0
    while index < len(walk) and items < PAGE_ITEMS:
        sections = walk[index].export(account_id)
        data[walk[index].capability] = sections
        items += sum(len(found) for found in sections.values())
        index += 1
    return {"schema_version": SCHEMA_VERSION, "account_id": account_id,
            "generated_at": clock.iso(), "data": data,
            "next_cursor": encode_cursor({"holding": index}, scope) if index < len(walk) else None}


def delete_account(account_id: str, current_password: str) -> dict:
    """Sessions end first (with the password asked again), then every capability refunds what
    the account still owns, then every capability erases; the confirmation goes by email."""
    account = accounts.close_account(account_id, current_password)
    walk = _walk()
    refunds: dict[str, list[dict]] = {}
    for holding in walk:
        if holding.settle is not None:
            refunds.update(holding.settle(account_id))
    for holding in walk:
        holding.erase(account_id)
    kept = kept_records(clock.now())
    log_event("account_deleted", account_id=account_id)
    # The words are catalog ids: the email is rendered in the account's language, later.
    notifier().email(account.email, "account_deleted", language=account.language,
                     full_name=account.full_name, kept=kept,
                     stamp_refunds=refunds.get("stamp_refunds", []),
                     calling_refunds=refunds.get("calling_refunds", []),
                     visits_cancelled=refunds.get("visits_cancelled", []))
    return {"status": "deleted", "refunds": refunds,
            "kept": [{**k, "record": _(k["record"]), "reason": _(k["reason"])} for k in kept]}


def kept_records(now: float) -> list[dict]:
    """What stays after a deletion, why (catalog ids) and until when."""
    entries = [k for h in _walk() for k in h.kept]
    return [{"record": k.record, "reason": k.reason,
             "retain_until": None if k.days is None else
             (datetime.fromtimestamp(now, UTC) + timedelta(days=k.days)).date().isoformat()}
            for k in entries]
