"""Opt-in reminders that a password is getting old (docs/api.md "The account"; nothing ever forces a
change, NIST SP 800-63B).  ``reminder_due_day`` ("<day>#<shard>") feeds the sparse
``by_reminder_due`` index; the job Queries each due day's shards page by page, saving its cursor
after every page, so its cost follows the reminders due and a run cut short resumes where it
stopped.  Each account is claimed by a conditional remove (one reminder per password).  Call
``schedule_for(account)`` whenever the opt-in or the password changes.
Why: docs/decisions/password-reminders.md
"""
from __future__ import annotations

import json
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from chalicelib.accounts.store import Account
from chalicelib.config import get_settings
from chalicelib.core import clock
from chalicelib.core.jobs import JobState
from chalicelib.core.logs import log_event
from chalicelib.core.notify import notifier
from chalicelib.core.store import get_or_none, written

JOB_NAME = "password_reminders"
FIRST_RUN_LOOKBACK_DAYS = 7  # due days are never set in the past, so a week is plenty
DAY = timedelta(days=1)
# A day's reminders spread over this many index keys: a mass password reset (every account at
# once after a breach) would otherwise write one index partition past its 1,000 writes a second
# and throttle the accounts table itself.
SHARDS = 16
PAGE = 100  # keys per Query page, read back with one BatchGetItem


class ReminderReport:
    def __init__(self) -> None:
        self.pages = 0
        self.sent = 0
        self.finished = True  # False: stopped early, the cursor says where to resume


def opted_in(account: Account) -> bool:
    return bool(account.preferences.as_dict().get("password_reminder", False))


def shard_of(account_id: str) -> int:
    return zlib.crc32(account_id.encode()) % SHARDS


def due_day(account: Account, password_changed_at: str | None = None) -> str | None:
    """The key of the day the reminder is due (for a password changed at
    ``password_changed_at``, by default the account's), or None when not opted in."""
    if account.disabled or not opted_in(account):
        return None
    changed = _parse(password_changed_at or account.password_changed_at)
    due = max(changed + timedelta(days=get_settings().password_reminder_days), _today())
    return f"{due:%Y-%m-%d}#{shard_of(account.account_id):02d}"


def schedule_for(account: Account) -> str | None:
    """Put the account in (or take it out of) the reminder index after a change of its
    opt-in or password; returns the due day."""
    due = due_day(account)
    if due == account.reminder_due_day:
        return due
    action = Account.reminder_due_day.set(due) if due else Account.reminder_due_day.remove()
    account.update(actions=[action])
    return due


def send_due_reminders(max_pages: int | None = None) -> ReminderReport:
    """One run: from the saved day, shard and cursor up to today, a page at a time, until done,
    ``max_pages`` or ``job_run_seconds``.  Today stays in the window (accounts may become due
    later today)."""
    settings = get_settings()
    stop_at = time.monotonic() + settings.job_run_seconds
    today = _today()
    state = _load_state(today)
    position = json.loads(state.cursor) if state.cursor else {"shard": 0, "key": None}
    report = ReminderReport()
    day = datetime.fromtimestamp(state.watermark, tz=UTC)
    with ThreadPoolExecutor(settings.job_workers) as pool:
        while day <= today:
            keys = _day_keys(day)
            while position["shard"] < len(keys):
                if (max_pages is not None and report.pages >= max_pages) \
                        or time.monotonic() >= stop_at:
                    report.finished = False
                    _save(state, day, position)
                    return _done(report)
                bucket = keys[position["shard"]]
                page = Account.by_reminder_due.query(bucket, limit=PAGE,
                                                     last_evaluated_key=position["key"])
                ids = [key_only.account_id for key_only in page]
                report.pages += 1
                found = _accounts(ids)
                report.sent += sum(pool.map(_remind, found, [bucket] * len(found)))
                last = page.last_evaluated_key
                position = {"shard": position["shard"], "key": last} if last \
                    else {"shard": position["shard"] + 1, "key": None}
                if ids:  # progress worth keeping; an empty page is cheap to read again
                    _save(state, day, position)
            if day == today:
                break
            day, position = day + DAY, {"shard": 0, "key": None}
    _save(state, today, {"shard": 0, "key": None})
    return _done(report)


def _day_keys(day: datetime) -> list[str]:
    """The day's shard keys, then the unsharded key that reminders scheduled before shards
    carry (they keep it until claimed)."""
    return [f"{day:%Y-%m-%d}#{shard:02d}" for shard in range(SHARDS)] + [f"{day:%Y-%m-%d}"]


def _accounts(ids: list[str]) -> list[Account]:
    return list(Account.batch_get(ids)) if ids else []


def _remind(account: Account, bucket: str) -> int:
    if account.reminder_due_day != bucket:
        return 0
    if not _is_overdue(account):
        schedule_for(account)  # opted out or changed the password since: move it on or drop it
        return 0
    if not written(lambda: account.update(actions=[Account.reminder_due_day.remove()],
                                          condition=Account.reminder_due_day == bucket)):
        return 0  # another run claimed it
    changed = _parse(account.password_changed_at)
    notifier().email(account.email, "password_reminder", language=account.language,
                     requester=False, full_name=account.full_name,
                     changed_at=clock.iso(changed.timestamp()), age_days=(_now() - changed).days)
    return 1


def _is_overdue(account: Account) -> bool:
    if due_day(account) is None:
        return False
    age = _now() - _parse(account.password_changed_at)
    return age >= timedelta(days=get_settings().password_reminder_days)


def _load_state(today: datetime) -> JobState:
    start = today - FIRST_RUN_LOOKBACK_DAYS * DAY
    return get_or_none(JobState, JOB_NAME, consistent=False) \
        or JobState(JOB_NAME, watermark=int(start.timestamp()))


def _save(state: JobState, day: datetime, position: dict) -> None:
    state.watermark = int(day.timestamp())
    state.cursor = json.dumps(position) if position != {"shard": 0, "key": None} else None
    state.save()


def _done(report: ReminderReport) -> ReminderReport:
    log_event("password_reminders_sent", sent=report.sent, pages=report.pages,
              finished=report.finished)
    return report


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(UTC)  # with or without microseconds


def _now() -> datetime:
    return datetime.fromtimestamp(clock.now(), tz=UTC)


def _today() -> datetime:
    return _now().replace(hour=0, minute=0, second=0, microsecond=0)
