"""The scheduled clean-up of expired records (lockouts, codes, sessions, ...).

Expiry is always enforced when a record is read; this job only keeps tables small.  It walks the
sparse ``by_expiry`` index of each expiring table, one hourly bucket at a time, from the last
hour it finished (its watermark) up to now, and deletes what has expired.  Its cost is one Query
per table per hour elapsed since the last run, plus one delete per expired record.
"""
from __future__ import annotations

import functools

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.config import get_settings
from chalicelib.core import clock
from chalicelib.core.logs import log_event
from chalicelib.core.store import (StoredModel, MODELS, BaseMeta, ExpiringModel, TableName, expiry_bucket,
                                   get_or_none, register, written)

HOUR = 3600


@register
class JobState(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("job-state")

    job = UnicodeAttribute(hash_key=True)
    watermark = NumberAttribute()


class CleanupReport:
    def __init__(self) -> None:
        self.deleted: dict[str, int] = {}
        self.buckets_queried = 0


def expiring_models() -> list[type[ExpiringModel]]:
    return [model for model in MODELS if issubclass(model, ExpiringModel)]


def delete_expired(job_name: str = "cleanup") -> CleanupReport:
    now = clock.now()
    state = _load_state(job_name, now)
    report = CleanupReport()
    # Buckets strictly before the current hour are finished once swept; the current one is
    # swept too (up to now) but stays inside the next run's window.
    first_hour = int(state.watermark // HOUR) * HOUR
    current_hour = int(now // HOUR) * HOUR
    for model in expiring_models():
        name = model.__name__
        report.deleted[name] = 0
        for hour in range(first_hour, current_hour + HOUR, HOUR):
            report.buckets_queried += 1
            for key_only in model.by_expiry.query(expiry_bucket(hour), model.expires_at <= int(now)):
                # Refused when renewed since the index was written: not expired any more.
                if written(functools.partial(key_only.delete,
                                             condition=model.expires_at <= int(now))):
                    report.deleted[name] += 1
    state.watermark = current_hour
    state.save()
    log_event("cleanup_finished", deleted=report.deleted, buckets=report.buckets_queried)
    return report


def _load_state(job_name: str, now: float) -> JobState:
    lookback = get_settings().cleanup_lookback_hours * HOUR
    return get_or_none(JobState, job_name, consistent=False) \
        or JobState(job_name, watermark=now - lookback)
