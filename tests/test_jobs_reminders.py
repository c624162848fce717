"""Issue 13 finding 5: the password-reminder job keeps up with any number due a day: it Queries
each shard for what is due up to today, a page at a time, reads each page back in one
BatchGetItem, saves its cursor after every page (a run cut short resumes there) and costs what
is due, never a Scan, however long since its last run."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta


from chalicelib.accounts import reminders
from chalicelib.accounts.store import Account
from chalicelib.core import clock
from chalicelib.core.jobs import JobState
from tests.fault_support import dynamodb_calls  # noqa: F401  (fixture)
from tests.conftest import sent_emails


def _accounts(count: int, days_old: int, prefix: str, opted_in: bool = True) -> list[str]:
    changed = (datetime.fromtimestamp(clock.now(), tz=UTC) - timedelta(days=days_old)).isoformat()
    ids = []
    with Account.batch_write() as batch:
        for n in range(count):
            account = Account(f"acc_{prefix}{n:04d}", email=f"{prefix}{n}@example.com",
                              full_name="Due", password_hash="x", created_at=changed,
                              password_changed_at=changed, email_verified=True,
                              preferences={"password_reminder": opted_in})
            account.reminder_due_day = reminders.due_day(account)
            account.reminder_shard = reminders.shard_of(account.account_id)
            batch.save(account)
            ids.append(account.account_id)
    return ids


def test_a_run_cut_short_resumes_at_its_cursor_and_each_reminder_goes_once(api, monkeypatch):
    monkeypatch.setattr(reminders, "PAGE", 2)
    due = _accounts(30, days_old=181, prefix="due")
    _accounts(10, days_old=20, prefix="later")  # scheduled for another day: never read
    first = reminders.send_due_reminders(max_pages=3)
    assert not first.finished and first.pages == 3 and first.sent <= 6
    assert JobState.get(reminders.JOB_NAME).cursor is not None
    total, runs = first.sent, 1
    while True:
        report = reminders.send_due_reminders(max_pages=8)
        total, runs = total + report.sent, runs + 1
        if report.finished:
            break
        assert runs < 40
    assert total == 30
    recipients = sorted(m.destinations["ToAddresses"][0] for m in sent_emails()
                        if "reminder" in m.subject)
    assert recipients == sorted(f"due{n}@example.com" for n in range(30))
    assert all(Account.get(i).reminder_due_day is None for i in due)
    assert reminders.send_due_reminders().sent == 0, "one reminder per password"


def test_cost_follows_the_reminders_due_not_the_days_elapsed(api, dynamodb_calls, monkeypatch):
    monkeypatch.setattr(reminders, "PAGE", 25)
    _accounts(40, days_old=30, prefix="notyet")
    _accounts(20, days_old=200, prefix="out", opted_in=False)
    reminders.send_due_reminders()
    clock.advance(200 * 24 * 3600)  # no run for 200 days: nothing is swept day by day
    _accounts(25, days_old=200, prefix="new")
    dynamodb_calls.clear()
    report = reminders.send_due_reminders()
    assert report.sent == 25 + 40 and report.finished
    assert "Scan" not in dynamodb_calls and "GetItem" not in dynamodb_calls[1:]
    assert dynamodb_calls.count("UpdateItem") == 65  # the claims
    # One Query per shard and page, one BatchGetItem per page that held anyone.
    assert dynamodb_calls.count("Query") == report.pages <= reminders.SHARDS + 65 // 25
    assert dynamodb_calls.count("BatchGetItem") <= report.pages


def test_due_days_spread_over_the_shards():
    assert len({reminders.shard_of(f"acc_{n}") for n in range(400)}) == reminders.SHARDS
