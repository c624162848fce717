"""Reviewers claim pending messages in batches, each under a short lease, so two reviewers of a
facility never work on the same messages (issue 13, finding 6: everyone read the same oldest page
and met "already decided").  The sparse ``by_review_pool`` index holds only pending messages,
keyed ``<lease end>#<sent_key>``: a Query for keys below now returns the free and the lapsed
ones, oldest first, and each is taken by a write conditioned on the lease it was read with.
Why: docs/decisions/directory-and-review-queue.md
"""
from __future__ import annotations

import functools

from chalicelib.config import get_settings
from chalicelib.core import clock
from chalicelib.core.identity import Principal
from chalicelib.core.store import written
from chalicelib.messaging import states
from chalicelib.messaging.store import LEAVE_REVIEW_POOL, Message

MAX_PAGES = 5  # a claim reads at most this many pages of candidates (others took the rest)


def claim(principal: Principal, limit: int, render) -> dict:
    """Up to ``limit`` pending messages of the reviewer's facility, leased to them."""
    now = int(clock.now())
    until = now + get_settings().review_lease_seconds
    taken: list[Message] = []
    cursor = None
    for _page in range(MAX_PAGES):
        page = Message.by_review_pool.query(principal.facility_id,
                                            Message.lease_key < f"{now:010d}",
                                            limit=2 * limit, last_evaluated_key=cursor)
        for candidate in page:
            message = _take(candidate, principal.account_id, until)
            if message is not None:
                taken.append(message)
                if len(taken) == limit:
                    break
        cursor = page.last_evaluated_key
        if len(taken) == limit or not cursor:
            break
    return {"items": [render(message) for message in taken],
            "lease_expires_at": clock.iso(until)}


def _take(candidate: Message, reviewer: str, until: int) -> Message | None:
    """The message leased to ``reviewer``, or None when someone else took it first or it was
    decided meanwhile (then it leaves the pool, should its decision have left it there)."""
    read_lease = candidate.lease_key
    message = Message(candidate.message_id)
    sent_key = read_lease.split("#", 1)[1]
    if written(functools.partial(
            message.update,
            actions=[Message.lease_key.set(f"{until:010d}#{sent_key}"),
                     Message.claimed_by.set(reviewer)],
            condition=(Message.lease_key == read_lease)
            & (Message.status == states.PENDING_REVIEW))):
        return message  # ``update`` read back the whole item
    written(functools.partial(message.update, actions=LEAVE_REVIEW_POOL,
                              condition=Message.review_pool.exists()
                              & (Message.status != states.PENDING_REVIEW)))
    return None
