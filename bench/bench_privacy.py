"""(p) Data rights: the export of an account with 1,000 messages and 200 deposits (and the
1,200 activity events those sends and deposits write), its wall time and its DynamoDB calls.

The export walks every capability's Holding (``privacy.export``, page after page until the
cursor is null).  The goal is on the calls: Queries only (no Scan), a count that follows the
pages DynamoDB returns (1 MB each), not the items.  Time is reported twice: in all, and outside
DynamoDB calls (botocore before/after-call, as bench_messaging does).  On moto in-process nearly
all of it is the emulator's own Query work (profiled: 31 of 33 s), which says nothing of
DynamoDB's latency; the time outside the calls is ours (reading pages, rendering JSON).
"""
from __future__ import annotations

import statistics
from collections import Counter

from bench.bench_messaging import _approved_contact, _family_account, _fill_thread, dynamo_timer
from bench.harness import dynamo_calls, fresh_aws, logs_discarded, timed, wall

MESSAGES, DEPOSITS, RUNS = 1_000, 200, 3
CALLS_GOAL = 40


def _deposits(account_id: str, count: int) -> None:
    from chalicelib.accounts import ActivityEvent
    from chalicelib.payments.store import Deposit

    with Deposit.batch_write() as batch:
        for n in range(count):
            at = f"2026-11-{1 + n % 28:02d}T10:{n % 60:02d}:00Z"
            batch.save(Deposit(
                f"dep_bench_{n:04d}", sender_account_id=account_id, created_key=f"{at}#{n:04d}",
                inmate_id="inm_A1001", facility_id="demo-county", account="trust",
                amount_cents=2000, fee_cents=295, total_cents=2295, status="completed",
                created_at=at, authorization_id=f"auth_bench_{n:04d}"))
    with ActivityEvent.batch_write() as batch:
        for n in range(count + MESSAGES):
            batch.save(ActivityEvent(account_id, f"2026-11-20T00:00:00.{n:06d}Z#{n}",
                                     type="deposit_completed" if n < count else "message_sent",
                                     at="2026-11-20T00:00:00Z", detail={"n": n}))


def _export_all(account_id: str) -> int:
    from chalicelib import privacy

    items, cursor = 0, None
    while True:
        page = privacy.export(account_id, cursor)
        items += sum(len(found) for sections in page["data"].values()
                     for found in sections.values())
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def run() -> list[tuple]:
    import app  # noqa: F401 (every capability's models and Holdings, as deployed)
    from chalicelib.facilities.seed import seed_demo_facility

    timer = dynamo_timer()
    with fresh_aws(), logs_discarded():
        seed_demo_facility()
        account_id = _family_account()
        contact_id = _approved_contact(account_id, "inm_A1001")
        _fill_thread(contact_id, account_id, "inm_A1001", MESSAGES)
        _deposits(account_id, DEPOSITS)
        with dynamo_calls().counting() as calls:
            items = _export_all(account_id)
        samples, outside = [], []
        for _ in range(RUNS):
            inside = timer.seconds
            samples.append(timed(lambda: _export_all(account_id)))
            outside.append(samples[-1][0] - (timer.seconds - inside))
    operations = Counter(calls)
    assert "Scan" not in operations, operations
    return [
        ("privacy: DynamoDB calls, export of 1,000 messages + 200 deposits", len(calls),
         f"<= {CALLS_GOAL}", f"{items} items exported; calls by operation: "
         f"{dict(sorted(operations.items()))} (no Scan)"),
        ("privacy: seconds, that export in all (median of 3, moto in-process)", wall(samples),
         "", "nearly all of it inside moto's Query (see the module)"),
        ("privacy: seconds, that export outside DynamoDB calls (ours)", statistics.median(outside),
         "<= 1.5", ""),
    ]
