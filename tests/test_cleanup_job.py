"""The scheduled clean-up (issue 2, item 8): expired records go, live ones stay, and the job
finds them through the sparse ``by_expiry`` index, never a scan."""
from __future__ import annotations

import pytest
from botocore.hooks import HierarchicalEmitter

from chalicelib.accounts.store import LoginThrottle, OneTimeCode, Session
from chalicelib.core import clock
from chalicelib.core.housekeeping import JobState, expiring_models

HOUR = 3600


def _throttle(subject: str, expires_in: float) -> None:
    record = LoginThrottle(subject, failures=0, locks=1, locked_until=int(clock.now()))
    record.set_expiry(clock.now() + expires_in)
    record.save()


def _code(subject: str, expires_in: float) -> None:
    record = OneTimeCode(subject, code_digest="d", attempts_left=5, created_at=int(clock.now()))
    record.set_expiry(clock.now() + expires_in)
    record.save()


def _session(session_id: str, expires_in: float) -> None:
    now = int(clock.now())
    record = Session(session_id, account_id="acc", role="family", epoch=0, access_digest="a",
                     access_expires_at=now, refresh_digest="r", created_at=now, last_used_at=now)
    record.set_expiry(clock.now() + expires_in)
    record.save()


@pytest.fixture
def dynamodb_calls(monkeypatch):
    """Every DynamoDB operation name the code under test sends, in order."""
    calls: list[str] = []
    original = HierarchicalEmitter._emit

    def emit(self, event_name, kwargs, stop_on_response=False):
        if event_name.startswith("before-call.dynamodb."):
            calls.append(event_name.rsplit(".", 1)[1])
        return original(self, event_name, kwargs, stop_on_response)

    monkeypatch.setattr(HierarchicalEmitter, "_emit", emit)
    return calls


def invoke_cleanup(api):
    event = api.client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={},
        resources=["arn:aws:events:us-east-1:123456789012:rule/clean-up"])
    return api.client.lambda_.invoke("clean_up_expired_records", event).payload


def test_job_deletes_expired_records_and_keeps_live_ones(api):
    for index in range(3):
        _throttle(f"expired-lock-{index}", -10 - index * HOUR)
        _throttle(f"live-lock-{index}", HOUR * (index + 1))
        _code(f"expired-code-{index}", -5)
        _code(f"live-code-{index}", 300)
        _session(f"expired-session-{index}", -60)
        _session(f"live-session-{index}", 11 * HOUR)
    deleted = invoke_cleanup(api)
    assert _of_these_tables(deleted) == {"LoginThrottle": 3, "OneTimeCode": 3, "Session": 3}
    assert sorted(t.subject for t in LoginThrottle.scan()) == [f"live-lock-{i}" for i in range(3)]
    assert sorted(c.subject for c in OneTimeCode.scan()) == [f"live-code-{i}" for i in range(3)]
    assert sorted(s.session_id for s in Session.scan()) == [f"live-session-{i}" for i in range(3)]

    clock.advance(12 * HOUR)
    assert _of_these_tables(invoke_cleanup(api)) == {"LoginThrottle": 3, "OneTimeCode": 3,
                                                     "Session": 3}
    assert sum(invoke_cleanup(api).values()) == 0


def _of_these_tables(deleted: dict) -> dict:
    """The counts for the tables this test fills; every other expiring table had nothing."""
    assert all(count == 0 for name, count in deleted.items()
               if name not in ("LoginThrottle", "OneTimeCode", "Session"))
    return {name: deleted[name] for name in ("LoginThrottle", "OneTimeCode", "Session")}


def test_job_never_scans_and_its_work_follows_the_expired_records(api, dynamodb_calls):
    for index in range(40):
        _throttle(f"live-{index}", 5 * HOUR)
    _throttle("expired", -30)
    invoke_cleanup(api)  # first run: sets the watermark
    dynamodb_calls.clear()
    _throttle("expired-again", -30)
    invoke_cleanup(api)
    assert "Scan" not in dynamodb_calls
    assert dynamodb_calls.count("DeleteItem") == 1
    # One Query per expiring table for the current hour: independent of the 40 live records.
    assert dynamodb_calls.count("Query") == len(expiring_models())
    assert JobState.get("cleanup").watermark <= clock.now()


def test_expiry_is_enforced_on_read_before_the_job_runs(api, make_family):
    _, _, tokens = make_family()
    clock.advance(12 * HOUR + 1)  # past the absolute session lifetime; the job has not run
    assert api.get("/v1/account", token=tokens["access_token"]).status_code == 401
    assert api.post("/v1/auth/refresh",
                    {"refresh_token": tokens["refresh_token"]}).status_code == 401
