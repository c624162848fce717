"""(c) The hourly clean-up with 20 expired lockouts among 200 accounts, and among 20,000.

Both data sets live side by side in one moto (in-process) under two table prefixes, written
with PynamoDB batch writes: accounts with their email claims, plus a live (unexpired) login
throttle for one account in ten, whose expiries spread over the next day, so the sparse
``by_expiry`` index holds live records too, some in the very hour the job sweeps.

Each run is the steady state of an hourly job: the watermark says the last run finished the
previous hour, and 20 throttles expired since then (recreated before every run, seeded times).
Runs alternate small, large, small, ... and the ratio is of the medians of the job's wall time.
The DynamoDB calls the job makes are counted for each size.
"""
from __future__ import annotations

import os
import random

from bench.harness import (SEED, Sample, cpu, dynamo_calls, fresh_aws, interleaved, logs_discarded,
                           timed, wall)

RUNS = 11
GOAL = 1.5
EXPIRED = 20
SIZES = (200, 20_000)
LIVE_THROTTLE_EVERY = 10  # one account in ten has a live throttle
HOUR = 3600


# PynamoDB keeps one connection per model and builds a new botocore client (about a second)
# whenever the table name changes; switching data sets reuses each set's own connections.
_connections: dict[tuple[type, str], object] = {}


def use_prefix(prefix: str) -> None:
    """Point every model at this data set's tables (resolved lazily by ``TableName``), with its
    connections ready, so nothing is set up inside the timed job."""
    from chalicelib.config import reset_settings
    from chalicelib.core.store import MODELS

    os.environ["TABLE_PREFIX"] = prefix
    reset_settings()
    for model in MODELS:
        if (model, prefix) in _connections:
            model._connection = _connections[model, prefix]
        else:
            model.exists()  # connects to this table and creates the client now
            _connections[model, prefix] = model._connection


def populate(accounts: int, rng: random.Random) -> None:
    from chalicelib.accounts.store import Account, EmailClaim, LoginThrottle
    from chalicelib.core import clock
    from chalicelib.core.store import create_tables

    create_tables()
    now = clock.now()
    created = clock.iso(now)
    with Account.batch_write() as account_batch, EmailClaim.batch_write() as claim_batch, \
            LoginThrottle.batch_write() as throttle_batch:
        for n in range(accounts):
            account_id, email = f"acc_{n:06d}", f"family{n}@example.com"
            account_batch.save(Account(account_id, email=email, full_name=f"Family {n}",
                                       password_hash="bcrypt_sha256$unused", created_at=created,
                                       password_changed_at=created, email_verified=True))
            claim_batch.save(EmailClaim(email, account_id=account_id))
            if n % LIVE_THROTTLE_EVERY == 0:
                throttle = LoginThrottle(f"live-{n:06d}", failures=rng.randint(1, 4))
                throttle.set_expiry(now + rng.uniform(60, 24 * HOUR))
                throttle_batch.save(throttle)


def recreate_expired(rng: random.Random) -> None:
    """20 lockouts that expired since the previous hour began, and a watermark at that hour."""
    from chalicelib.accounts.store import LoginThrottle
    from chalicelib.core import clock
    from chalicelib.core.housekeeping import JobState

    now = clock.now()
    previous_hour = int(now // HOUR) * HOUR - HOUR
    with LoginThrottle.batch_write() as batch:
        for n in range(EXPIRED):
            throttle = LoginThrottle(f"expired-{n:02d}", failures=0, locks=1,
                                     locked_until=int(previous_hour))
            throttle.set_expiry(rng.uniform(previous_hour, now - 1))
            batch.save(throttle)
    JobState("cleanup", watermark=previous_hour).save()


def run() -> list[tuple[str, float, str, str]]:
    from chalicelib.core.housekeeping import delete_expired

    rng = random.Random(SEED)
    prefixes = {size: f"bench-{size}-" for size in SIZES}
    setup_seconds: dict[int, float] = {}
    calls: dict[int, list[str]] = {}
    with fresh_aws(), logs_discarded():
        for size, prefix in prefixes.items():
            use_prefix(prefix)
            setup_seconds[size] = timed(lambda size=size: populate(size, rng))[0]

        def job(size: int) -> Sample:
            use_prefix(prefixes[size])
            recreate_expired(rng)
            reports = []
            with dynamo_calls().counting() as made:
                sample = timed(lambda: reports.append(delete_expired()))
            assert reports[0].deleted["LoginThrottle"] == EXPIRED, reports[0]
            calls[size] = made
            return sample

        small, large = SIZES
        job(small), job(large)  # warm-up
        small_times, large_times = interleaved(RUNS, lambda: job(small), lambda: job(large))
    ratio = wall(large_times) / wall(small_times)
    summary = "; ".join(
        f"{size} accounts: job median {wall(times) * 1000:.1f} ms (CPU {cpu(times) * 1000:.1f} ms), "
        f"{len(calls[size])} DynamoDB calls ({_tally(calls[size])}), setup {setup_seconds[size]:.1f} s"
        for size, times in ((small, small_times), (large, large_times)))
    goal = f"<= {GOAL:.1f}"
    return [(f"(c) cleanup {EXPIRED} expired: {large} / {small} accounts", ratio, goal,
             f"{summary}; {RUNS} runs each"),
            ("(c) same, CPU time", cpu(large_times) / cpu(small_times), goal, "")]


def _tally(operations: list[str]) -> str:
    return ", ".join(f"{operations.count(op)} {op}" for op in sorted(set(operations)))
