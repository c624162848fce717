"""The daily digest of message decisions (issue 13, finding 7: notifications were half the bill).
A family with ``preferences["message_digest"]`` gets one email a day saying how many of their
messages were delivered or not and how many replies arrived, instead of one email each.  A
decision for them is deferred: the message joins the sparse ``by_digest_due`` index (hash: a
shard of the account, range: ``<day>#<account>#<sent_key>``); a job every 10 minutes Queries each shard
for days before today (``core.jobs.walk_shards``), claims each message (a conditional remove)
and queues one email per family.  Its cost follows the digests due, never the accounts.
Why: docs/decisions/notifications.md
"""
from __future__ import annotations

import zlib
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from chalicelib.accounts import account_by_id
from chalicelib.config import get_settings
from chalicelib.core import clock
from chalicelib.core.jobs import JobReport, shard_keys, walk_shards
from chalicelib.core.links import app_link
from chalicelib.core.logs import log_event
from chalicelib.core.notify import notifier, recipient_language
from chalicelib.messaging import states, store
from chalicelib.messaging.store import Message

JOB_NAME = "message_digests"
DIGEST_PREFERENCE = "message_digest"
SHARDS = 16
PAGE = 100  # keys per Query page, read back with one BatchGetItem


def wants_digest(preferences) -> bool:
    values = preferences.as_dict() if hasattr(preferences, "as_dict") else dict(preferences or {})
    return values.get(DIGEST_PREFERENCE, False) is True


def defer(message: Message) -> None:
    """Keep this decision for the family's digest of today (UTC)."""
    shard = f"{zlib.crc32(message.account_id.encode()) % SHARDS:02d}"
    store.defer_to_digest(message, shard,
                          f"{clock.iso()[:10]}#{message.account_id}#{message.sent_key}")


def send_due_digests(max_pages: int | None = None) -> JobReport:
    """One run: every shard's deferred decisions of days before today, one email per family."""
    today = clock.iso()[:10]

    def due_page(shard: str, cursor: dict | None):
        return Message.by_digest_due.query(shard, Message.digest_order < today, limit=PAGE,
                                           last_evaluated_key=cursor)

    report = walk_shards(JOB_NAME, shard_keys(SHARDS), due_page, _send_page, max_pages)
    log_event("message_digests_sent", sent=report.sent, pages=report.pages,
              finished=report.finished)
    return report


def _send_page(keys_only: list[Message]) -> int:
    """One email per family of the page (a family whose decisions straddle two pages gets two),
    the families served by a few workers at once."""
    by_account: dict[str, list[Message]] = defaultdict(list)
    for message in Message.batch_get([key_only.message_id for key_only in keys_only]):
        if message.digest_order:
            by_account[message.account_id].append(message)
    with ThreadPoolExecutor(get_settings().job_workers) as pool:
        return sum(pool.map(_send, by_account, by_account.values()))


def _send(account_id: str, deferred: list[Message]) -> int:
    messages = [message for message in deferred if store.take_for_digest(message)]
    account = account_by_id(account_id) if messages else None
    if account is None:
        return 0
    to_inmate = [m for m in messages if m.direction == states.TO_INMATE]
    rejected = sum(1 for m in to_inmate if m.status == states.REJECTED)
    notifier().email(account.email, "message_digest",
                     language=recipient_language(account.language, requester=False),
                     requester=False, full_name=account.full_name,
                     delivered=len(to_inmate) - rejected, rejected=rejected,
                     replies=len(messages) - len(to_inmate), link=app_link("contacts"))
    return 1
