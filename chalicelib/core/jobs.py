"""Scheduled jobs that work through what has fallen due, kept in a sparse index spread over a
few shard keys (hash: the shard, range: the due day, so a Query for "due up to today" returns
exactly the work waiting, however long since the last run).  ``walk_shards`` Queries each shard
page by page and saves its place (``job-state``: shard and Query cursor) after every page that
held work, so a run cut short (time, a failure) resumes there instead of starting over.  Work
done leaves the index, so the next pass reads only what is left.  Cost: one Query per shard and
page, plus the pages' own work.
Why: docs/decisions/password-reminders.md, docs/decisions/notifications.md
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.config import get_settings
from chalicelib.core import clock
from chalicelib.core.store import BaseMeta, StoredModel, TableName, get_or_none, register

_START = {"shard": 0, "key": None}


@register
class JobState(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("job-state")

    job = UnicodeAttribute(hash_key=True)
    watermark = NumberAttribute()  # when the last whole pass finished (epoch seconds)
    cursor = UnicodeAttribute(null=True)  # JSON {shard, key}: where an unfinished pass stopped


class JobReport:
    def __init__(self) -> None:
        self.pages = 0
        self.sent = 0
        self.finished = True  # False: stopped early; the saved place says where to resume


def shard_keys(count: int) -> list[str]:
    return [f"{shard:02d}" for shard in range(count)]


def walk_shards(job: str, shards: list[str], query: Callable[[str, dict | None], object],
                handle: Callable[[list], int], max_pages: int | None = None) -> JobReport:
    """For each shard from the saved place, ``query(shard, cursor)`` pages and
    ``handle(items)`` does their work (returns how many it sent).  Stops after ``max_pages`` or
    ``job_run_seconds``; the next run resumes there."""
    stop_at = time.monotonic() + get_settings().job_run_seconds
    state = get_or_none(JobState, job, consistent=False) or JobState(job, watermark=0)
    position = json.loads(state.cursor) if state.cursor else dict(_START)
    report = JobReport()
    while position["shard"] < len(shards):
        if (max_pages is not None and report.pages >= max_pages) or time.monotonic() >= stop_at:
            report.finished = False
            _save(state, position)
            return report
        page = query(shards[position["shard"]], position["key"])
        items = list(page)
        report.pages += 1
        report.sent += handle(items) if items else 0
        last = page.last_evaluated_key
        position = {"shard": position["shard"], "key": last} if last \
            else {"shard": position["shard"] + 1, "key": None}
        if items and last:  # progress worth keeping; an empty page is cheap to read again
            _save(state, position)
    state.watermark = int(clock.now())
    _save(state, _START)
    return report


def _save(state: JobState, position: dict) -> None:
    state.cursor = json.dumps(position) if position != _START else None
    state.save()
