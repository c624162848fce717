"""Opt-in reminders that a password is getting old (docs/api.md "The account"; nothing ever forces a
change, NIST SP 800-63B).  ``reminder_due_day`` and the account's ``reminder_shard`` key the
sparse ``by_reminder_due`` index; the job Queries each shard for the days up to today, page by
page (``core.jobs.walk_shards``), so its cost follows the reminders due and a run cut short
resumes where it stopped.  Each account is claimed by a conditional remove (one reminder per
password).  Call ``schedule_for(account)`` whenever the opt-in or the password changes.
Why: docs/decisions/password-reminders.md
"""
from __future__ import annotations

import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from chalicelib.accounts.store import Account
from chalicelib.config import get_settings
from chalicelib.core import clock
from chalicelib.core.jobs import JobReport, shard_keys, walk_shards
from chalicelib.core.logs import log_event
from chalicelib.core.notify import notifier
from chalicelib.core.store import written

JOB_NAME = "password_reminders"
# Reminders spread over this many index keys: a mass password reset (every account due the same
# day after a breach) would otherwise write one index partition past its 1,000 writes a second
# and throttle the accounts table itself.
SHARDS = 16
PAGE = 100  # keys per Query page, read back with one BatchGetItem


def opted_in(account: Account) -> bool:
    return bool(account.preferences.as_dict().get("password_reminder", False))


def shard_of(account_id: str) -> str:
    return f"{zlib.crc32(account_id.encode()) % SHARDS:02d}"


def due_day(account: Account, password_changed_at: str | None = None) -> str | None:
    """The day the reminder is due (for a password changed at ``password_changed_at``, by
    default the account's), or None when the account has not opted in."""
    if account.disabled or not opted_in(account):
        return None
    changed = _parse(password_changed_at or account.password_changed_at)
    due = max(changed + timedelta(days=get_settings().password_reminder_days), _today())
    return due.strftime("%Y-%m-%d")


def schedule_for(account: Account) -> str | None:
    """Put the account in (or take it out of) the reminder index after a change of its
    opt-in or password; returns the due day."""
    due = due_day(account)
    if due == account.reminder_due_day and (due is None or account.reminder_shard):
        return due
    actions = [Account.reminder_due_day.set(due),
               Account.reminder_shard.set(shard_of(account.account_id))] \
        if due else [Account.reminder_due_day.remove()]
    account.update(actions=actions)
    return due


def send_due_reminders(max_pages: int | None = None) -> JobReport:
    """One run: every shard's reminders due up to today, from where the last run stopped."""
    today = f"{_today():%Y-%m-%d}"

    def due_page(shard: str, cursor: dict | None):
        return Account.by_reminder_due.query(shard, Account.reminder_due_day <= today,
                                             limit=PAGE, last_evaluated_key=cursor)

    report = walk_shards(JOB_NAME, shard_keys(SHARDS), due_page, _remind_page, max_pages)
    log_event("password_reminders_sent", sent=report.sent, pages=report.pages,
              finished=report.finished)
    return report


def _remind_page(keys_only: list[Account]) -> int:
    """Read the page back in one BatchGetItem; claim and queue with a few workers."""
    due = {key_only.account_id: key_only.reminder_due_day for key_only in keys_only}
    found = list(Account.batch_get(list(due)))
    with ThreadPoolExecutor(get_settings().job_workers) as pool:
        return sum(pool.map(_remind, found, [due[account.account_id] for account in found]))


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


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(UTC)  # with or without microseconds


def _now() -> datetime:
    return datetime.fromtimestamp(clock.now(), tz=UTC)


def _today() -> datetime:
    return _now().replace(hour=0, minute=0, second=0, microsecond=0)
