"""The review log: who decided what about a subject (a contact, a message), when and why.

Lines are built here and written inside the decision's own transaction, append-only
(``attribute_not_exists``), so the log is complete by construction and cannot be rewritten.
"""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, UnicodeAttribute
from pynamodb.transactions import TransactWrite

from chalicelib.core import clock
from chalicelib.core.identity import Principal
from chalicelib.core.store import StoredModel, BaseMeta, TableName, append_only, register

AUTO_REVIEWER = "system:auto_review"


@register
@append_only
class ReviewEntry(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("review-log")

    subject = UnicodeAttribute(hash_key=True)  # "message#<id>" or "contact#<id>"
    entry_key = UnicodeAttribute(range_key=True)  # "<time, microseconds>#<action>"
    at = UnicodeAttribute()
    action = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    from_status = UnicodeAttribute()
    to_status = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    watch_words = ListAttribute(of=UnicodeAttribute, default=list)


def review_key(facility_id: str, status: str) -> str:
    """The partition of a facility's staff queue of items in ``status``."""
    return f"{facility_id}#{status}"


def entry(subject: str, principal: Principal | None, action: str, from_status: str,
          to_status: str, *, reason: str | None = None, note: str | None = None,
          watch_words: list[str] | None = None) -> ReviewEntry:
    """One audit line; ``principal`` None means the facility's automatic review decided."""
    now = clock.now()
    return ReviewEntry(subject, f"{clock.iso_precise(now)}#{action}", at=clock.iso(now),
                       action=action,
                       actor_id=principal.account_id if principal else AUTO_REVIEWER,
                       actor_role=principal.role if principal else "system",
                       from_status=from_status, to_status=to_status, reason=reason, note=note,
                       watch_words=watch_words or [])


def append(transaction: TransactWrite, line: ReviewEntry) -> None:
    transaction.save(line, condition=ReviewEntry.entry_key.does_not_exist())


def trail(subject: str) -> list[dict]:
    """A subject's whole log: a handful of lines (one per decision), so no pagination."""
    return [{"at": line.at, "action": line.action, "actor_id": line.actor_id,
             "actor_role": line.actor_role, "from_status": line.from_status,
             "to_status": line.to_status, "reason": line.reason, "note": line.note,
             "watch_words": list(line.watch_words)}
            for line in ReviewEntry.query(subject, consistent_read=True)]
