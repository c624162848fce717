"""(issue 13) Transaction conflicts of concurrent deposits against the live stack: today's
global house accounts (the baseline) and per-facility ones, in the same run.

20 writers (4 per facility, 5 facilities), each a signed-in family depositing to its own inmate
over HTTP, back to back.  The emulator models DynamoDB's item locks (``bench/conflicts.py``) on
a clock where the write transactions arrive as at ``TARGET_DEPOSITS_PER_SECOND``.  Reported per
design: the share of ``TransactWriteItems`` cancelled by a conflict (retries included), retries
per deposit, deposits lost after the retries; the same transactions replayed 50 times on fresh
clocks (a few hundred live deposits see only a handful of conflicts); and what the analytical
model predicts.
``python -m bench.bench_conflicts`` runs it alone; ``BENCH_CONFLICT_DEPOSITS`` sets the
deposits per writer.
Why: docs/scale.md ("Transaction conflicts")
"""
from __future__ import annotations

import contextlib
import logging
import math
import os
import random
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bench.conflicts import WINDOW_SECONDS, ConflictingEmulator, replay

FACILITIES = 5
WRITERS_PER_FACILITY = 4
DEPOSITS_PER_WRITER = int(os.environ.get("BENCH_CONFLICT_DEPOSITS", "10"))
# What twenty clients send in AWS, each waiting about a second for the card authorization
# (about 1.1 s a deposit): 18 deposits a second, about the whole peak hour (8.3
# deposits/s and as many stamp purchases), here on five facilities instead of 3,000.
TARGET_DEPOSITS_PER_SECOND = 18.0
OLD_SHARDS = 16


@contextlib.contextmanager
def global_house_accounts() -> Iterator[None]:
    """The design before issue 13, selectable only here: one global card clearing account and
    per-facility fee and stamp accounts, each split into 16 shards picked at random per posting."""
    from chalicelib.payments import ledger

    def shard(name: str) -> str:
        return f"{name}#{random.randrange(OLD_SHARDS):02d}"

    saved = ledger.card_clearing, ledger.fee_revenue, ledger.stamp_sales
    ledger.card_clearing = lambda facility_id, journal_id, at: shard("card_clearing")
    ledger.fee_revenue = lambda facility_id, journal_id, at: shard(f"facility:{facility_id}:deposit_fees")
    ledger.stamp_sales = lambda facility_id, journal_id, at: shard(f"facility:{facility_id}:stamp_sales")
    try:
        yield
    finally:
        ledger.card_clearing, ledger.fee_revenue, ledger.stamp_sales = saved


@dataclass
class Outcome:
    design: str
    deposits: int
    statuses: Counter
    seconds: float
    writes: int
    write_conflicts: int
    read_conflicts: int
    predicted: float
    replayed: object  # conflicts.Replay

    @property
    def conflict_share(self) -> float:
        return self.write_conflicts / self.writes if self.writes else math.nan

    @property
    def retries_per_deposit(self) -> float:
        return (self.writes - self.deposits) / self.deposits

    @property
    def stack_rate(self) -> float:
        return self.deposits / self.seconds


def predicted_share(design: str, per_facility_rate: float) -> float:
    """What the model says for these rates: a transaction conflicts when another one on a shared
    item arrived less than a window before it, P = 1 - exp(-rate of those others x window)."""
    from chalicelib.payments.ledger import HOUSE_STRIPES

    others_here = per_facility_rate * (WRITERS_PER_FACILITY - 1) / WRITERS_PER_FACILITY
    if design == "per facility":
        rate = others_here / HOUSE_STRIPES
    else:  # any writer on the same card clearing shard, or on the same fee shard of the facility
        everyone = per_facility_rate * FACILITIES * (FACILITIES * WRITERS_PER_FACILITY - 1) / (
            FACILITIES * WRITERS_PER_FACILITY)
        rate = everyone / OLD_SHARDS + others_here / OLD_SHARDS
    return 1 - math.exp(-rate * WINDOW_SECONDS)


def prepare(base_url: str) -> list[tuple[str, str]]:
    """Five facilities with four inmates each, and one signed-in family per inmate:
    [(access token, inmate id)]."""
    from chalicelib.facilities.seed import DEMO_RULES
    from chalicelib.facilities.store import Facility
    from tests.conftest import STRONG_PASSWORD, last_code
    from tests.live_stack import post_json
    from tests.money_fixtures import admit

    writers = []
    for f in range(FACILITIES):
        facility_id = f"bench-county-{f}"
        Facility(facility_id, name=f"Bench County {f}", state="MD", stamp_price_cents=39,
                 rules=DEMO_RULES).save()
        for w in range(WRITERS_PER_FACILITY):
            inmate_id, email = f"inm_bench_{f}_{w}", f"writer.{f}.{w}@example.com"
            admit(inmate_id, facility_id, f"B{f}{w:03d}", f"Writer Inmate {f}{w}")
            post_json(base_url, "/v1/auth/signup", {"email": email, "password": STRONG_PASSWORD,
                                                    "full_name": f"Writer {f} {w}"})
            post_json(base_url, "/v1/auth/verify-email", {"email": email, "code": last_code(email)})
            status, body = post_json(base_url, "/v1/auth/login",
                                     {"email": email, "password": STRONG_PASSWORD})
            assert status == 200, body
            writers.append((body["access_token"], inmate_id))
    return writers


def drive(base_url: str, writers: list[tuple[str, str]], design: str) -> Outcome:
    from tests.live_stack import post_json

    statuses: Counter = Counter()
    lock = threading.Lock()
    start = threading.Barrier(len(writers))

    def write(writer: tuple[str, str]) -> None:
        token, inmate_id = writer
        start.wait()
        for _ in range(DEPOSITS_PER_WRITER):
            status, _ = post_json(base_url, "/v1/deposits", {
                "inmate_id": inmate_id, "account": "trust", "amount_cents": 100,
                "payment_method_token": "tok_visa"},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
                timeout=120)
            with lock:
                statuses[status] += 1

    tally = ConflictingEmulator.conflicts.measure(TARGET_DEPOSITS_PER_SECOND)
    began = time.perf_counter()
    with ThreadPoolExecutor(len(writers)) as pool:
        list(pool.map(write, writers))
    seconds = time.perf_counter() - began
    return Outcome(design, sum(statuses.values()), statuses, seconds, tally.writes,
                   tally.write_conflicts, tally.read_conflicts,
                   predicted_share(design, TARGET_DEPOSITS_PER_SECOND / FACILITIES),
                   replay(tally.sequence, TARGET_DEPOSITS_PER_SECOND))


def measure() -> tuple[list[Outcome], object]:
    from tests.live_stack import running_stack  # the test stage: bcrypt cost 4 for sign-ups

    from bench.harness import logs_discarded
    from chalicelib.config import reset_settings
    from chalicelib.payments.audit import audit

    os.environ["PER_SOURCE_LIMITS"] = "off"  # twenty families behind one address
    reset_settings()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per emulator call
    try:
        with running_stack(ConflictingEmulator) as base_url, logs_discarded():
            writers = prepare(base_url)
            outcomes = []
            for design, chosen in (("global (baseline)", global_house_accounts),
                                   ("per facility", contextlib.nullcontext)):
                with chosen():
                    outcomes.append(drive(base_url, writers, design))
            return outcomes, audit()
    finally:
        os.environ.pop("PER_SOURCE_LIMITS", None)
        reset_settings()


def run() -> list[tuple[str, float, str, str]]:
    outcomes, report = measure()
    rows = []
    for outcome in outcomes:
        goal = "< 1" if outcome.design == "per facility" else ""
        replayed = outcome.replayed
        detail = (f"live: {outcome.deposits} deposits in {outcome.seconds:.1f} s "
                  f"({outcome.stack_rate:.1f}/s here, standing for {TARGET_DEPOSITS_PER_SECOND:.0f}/s), "
                  f"answers {dict(outcome.statuses)}; {outcome.writes} TransactWriteItems, "
                  f"{outcome.write_conflicts} cancelled by a conflict "
                  f"({100 * outcome.conflict_share:.2f}%), {outcome.read_conflicts} TransactGetItems "
                  f"conflicts. Replayed 50 times: {replayed.transactions} transactions, "
                  f"{replayed.conflicted} met a conflict, {replayed.retries} retries, "
                  f"{replayed.lost} lost after the last retry. The model predicts "
                  f"{100 * outcome.predicted:.2f}%")
        rows += [
            (f"conflicts: {outcome.design}, % of transactions (replayed)", 100 * replayed.share,
             goal, detail),
            (f"conflicts: {outcome.design}, % of transactions (live run)",
             100 * outcome.conflict_share, "", ""),
            (f"conflicts: {outcome.design}, retries per deposit (replayed)",
             replayed.retries / replayed.transactions, "", ""),
            (f"conflicts: {outcome.design}, retries per deposit (live run)",
             outcome.retries_per_deposit, "", ""),
            (f"conflicts: {outcome.design}, deposits lost (live run)", float(sum(
                n for status, n in outcome.statuses.items() if status != 201)), "<= 0", ""),
        ]
    rows.append(("conflicts: audit mismatches after both runs", float(len(report.mismatches)
                                                                      + (report.total_cents != 0)),
                 "<= 0", f"{report.accounts} accounts, {report.journals} journals"))
    return rows


def main() -> int:
    from bench.__main__ import goal_met
    from bench.harness import prepare_environment

    prepare_environment()
    for name, value, goal, detail in run():
        print(f"{name:<55} {value:>8.3f}  {goal:<6} {goal_met(value, goal)}")
        if detail:
            print(f"    {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
