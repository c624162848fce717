"""Named rate-limit policies (core/ratelimit.py): a window per subject, atomic counting."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from chalicelib.config import reset_settings
from chalicelib.core import clock
from chalicelib.core.ratelimit import RatePolicy


def test_window_starts_at_first_hit_and_limits_until_it_ends(api):
    policy = RatePolicy("test_sends", limit=2, window_seconds=600)
    assert policy.hit("acc_1").allowed and policy.hit("acc_1").allowed
    clock.advance(100)
    refused = policy.hit("acc_1")
    assert not refused.allowed and 499 <= refused.retry_after_seconds <= 500
    assert policy.hit("acc_2").allowed, "subjects are counted apart"
    assert RatePolicy("other_policy", 2, 600).hit("acc_1").allowed, "policies are counted apart"
    clock.advance(500)
    assert policy.hit("acc_1").allowed, "a new window starts after the old one ends"


def test_parallel_hits_never_exceed_the_limit(api, monkeypatch):
    # DynamoDB applies each conditional update atomically; moto does not lock between threads,
    # so its update handler is serialised here to behave like the real service.
    from moto.dynamodb.responses import DynamoHandler

    serial = threading.Lock()
    real_update = DynamoHandler.update_item

    def atomic_update(self, *args, **kwargs):
        with serial:
            return real_update(self, *args, **kwargs)

    monkeypatch.setattr(DynamoHandler, "update_item", atomic_update)
    policy = RatePolicy("test_parallel", limit=3, window_seconds=3600)
    with ThreadPoolExecutor(max_workers=8) as pool:
        decisions = list(pool.map(lambda _: policy.hit("acc_busy"), range(16)))
    assert sum(decision.allowed for decision in decisions) == 3


def test_configured_policy_reads_its_numbers_from_the_settings(api, monkeypatch):
    """Numbers unlike any default, so a policy that ignored the settings would fail here."""
    monkeypatch.setenv("PASSWORD_RESET_SENDS_PER_WINDOW", "7")
    monkeypatch.setenv("PASSWORD_RESET_SENDS_WINDOW_SECONDS", "123")
    reset_settings()
    policy = RatePolicy.configured("password_reset_sends")
    assert (policy.name, policy.limit, policy.window_seconds) == ("password_reset_sends", 7, 123)
    assert all(policy.hit("acc_1").allowed for _ in range(7))
    refused = policy.hit("acc_1")
    # The real clock runs on under the test: a second may have passed since the first hit.
    assert not refused.allowed and 120 <= refused.retry_after_seconds <= 123
    clock.advance(124)
    assert policy.hit("acc_1").allowed, "the configured window ends after 123 s"
