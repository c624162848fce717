"""The review log's lines: who decided what about a contact or a message, when and why.

Lines are built here and written by the store inside the decision's own transaction, append-only
(``attribute_not_exists``), so the log is complete by construction and cannot be rewritten.
"""
from __future__ import annotations

from chalicelib.core import clock
from chalicelib.core.identity import Principal
from chalicelib.messaging import store
from chalicelib.messaging.review import AUTO_REVIEWER
from chalicelib.messaging.store import ReviewEntry


def entry(subject: str, principal: Principal | None, action: str, from_status: str,
          to_status: str, *, reason: str | None = None, note: str | None = None,
          watch_words: list[str] | None = None) -> ReviewEntry:
    """One audit line; ``principal`` None means the facility's automatic review decided."""
    now = clock.now()
    return ReviewEntry(subject, f"{clock.iso_precise(now)}#{action}", at=clock.iso(now), action=action,
                       actor_id=principal.account_id if principal else AUTO_REVIEWER,
                       actor_role=principal.role if principal else "system",
                       from_status=from_status, to_status=to_status, reason=reason, note=note,
                       watch_words=watch_words or [])


def trail(subject: str) -> list[dict]:
    return [{"at": line.at, "action": line.action, "actor_id": line.actor_id,
             "actor_role": line.actor_role, "from_status": line.from_status,
             "to_status": line.to_status, "reason": line.reason, "note": line.note,
             "watch_words": list(line.watch_words)}
            for line in store.review_trail(subject)]
