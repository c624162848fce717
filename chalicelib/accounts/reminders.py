"""Opt-in reminders that a password is getting old (docs/api.md "The account"; nothing ever forces a
change, NIST SP 800-63B).  ``reminder_due_day`` feeds the sparse ``by_reminder_due`` index, so
the daily job Queries the days since its last run, never Scans; each account is claimed by a
conditional remove, so one reminder per password.  Call ``schedule_for(account)`` whenever the
opt-in or the password changes.
Why: docs/decisions/password-reminders.md
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.accounts.store import Account, account_by_id
from chalicelib.config import get_settings
from chalicelib.core import clock
from chalicelib.core.jobs import JobState
from chalicelib.core.logs import log_event
from chalicelib.core.notify import notifier
from chalicelib.core.store import get_or_none, written

JOB_NAME = "password_reminders"
FIRST_RUN_LOOKBACK_DAYS = 7  # due days are never set in the past, so a week is plenty
DAY = timedelta(days=1)


class ReminderReport:
    def __init__(self) -> None:
        self.days_queried = 0
        self.sent = 0


def opted_in(account: Account) -> bool:
    return bool(account.preferences.as_dict().get("password_reminder", False))


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
    if due == account.reminder_due_day:
        return due
    action = Account.reminder_due_day.set(due) if due else Account.reminder_due_day.remove()
    account.update(actions=[action])
    return due


def send_due_reminders() -> ReminderReport:
    today = _today()
    state = _load_state(today)
    report = ReminderReport()
    day = datetime.fromtimestamp(state.watermark, tz=UTC)
    while day <= today:
        bucket = day.strftime("%Y-%m-%d")
        report.days_queried += 1
        for key_only in Account.by_reminder_due.query(bucket):
            report.sent += _remind(key_only.account_id, bucket)
        day += DAY
    # Today stays in the next run's window: accounts can still become due later today.
    state.watermark = int(today.timestamp())
    state.save()
    log_event("password_reminders_sent", sent=report.sent, days=report.days_queried)
    return report


def _remind(account_id: str, bucket: str) -> int:
    account = account_by_id(account_id)
    if account is None or account.reminder_due_day != bucket:
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


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(UTC)  # with or without microseconds


def _now() -> datetime:
    return datetime.fromtimestamp(clock.now(), tz=UTC)


def _today() -> datetime:
    return _now().replace(hour=0, minute=0, second=0, microsecond=0)
