"""Core's own tables in the data-rights registry: core cannot import the registry's users, so
privacy (the top layer) declares them.  Idempotency records store the responses an account was
sent (24 hours); the review log, rate counters and job state name no person's details."""
from __future__ import annotations

from chalicelib.core import datarights
from chalicelib.core.audit import ReviewEntry
from chalicelib.core.datarights import Holding, Kept
from chalicelib.core.jobs import JobState
from chalicelib.core.i18n import N_
from chalicelib.core.idempotency import IdempotencyRecord
from chalicelib.core.ratelimit import RateCounter


def export(account_id: str) -> dict[str, list[dict]]:
    return {"repeat_protection": [{"request": record.scope_key.split(":", 1)[1]}
                                  for record in IdempotencyRecord.by_account.query(account_id)]}


def erase(account_id: str) -> None:
    for record in IdempotencyRecord.by_account.query(account_id):
        IdempotencyRecord(record.scope_key).delete()


HOLDING = Holding(
    capability="core", models=(IdempotencyRecord, RateCounter, ReviewEntry, JobState),
    export=export, erase=erase,
    kept=(Kept(N_("The review log: which staff member decided about your contacts and messages"),
               N_("The facility's audit of its decisions; it names you by account id only."),
               7 * 365),
          Kept(N_("Counters of codes and emails sent"),
               N_("They hold no personal data and expire by themselves within a day."), None)))

datarights.register(HOLDING)
