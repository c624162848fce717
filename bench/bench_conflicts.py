"""(issue 13) Transaction conflicts against the live stack: today's global house accounts (the
baseline) and per-facility ones, in the same run, for three workloads.

20 writers (4 per facility, 5 facilities), each a signed-in family with its own inmate, over
HTTP, back to back: deposits; calls (the facility's platform authorises a call to the family's
number, paid from the family's calling balance, and ends it: two transactions a call); visits
(each family holds then books paid video visits, racing the facility's other families for the
places of a few slots).  The emulator models DynamoDB's item locks (``bench/conflicts.py``) on a
clock where the write transactions arrive at each workload's target rate.  Reported per
workload and design: the share of ``TransactWriteItems`` cancelled by a conflict (retries
included), retries per operation, operations lost after the retries; the same transactions
replayed 50 times on fresh clocks; and, for deposits, what the analytical model predicts.
``python -m bench.bench_conflicts`` runs it alone; ``BENCH_CONFLICT_DEPOSITS``,
``BENCH_CONFLICT_CALLS`` and ``BENCH_CONFLICT_VISITS`` set the operations per writer.
Why: docs/scale.md ("Transaction conflicts")
"""
from __future__ import annotations

import contextlib
import json
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
from datetime import timedelta

from bench.conflicts import WINDOW_SECONDS, ConflictingEmulator, replay

FACILITIES = 5
WRITERS_PER_FACILITY = 4
DEPOSITS_PER_WRITER = int(os.environ.get("BENCH_CONFLICT_DEPOSITS", "10"))
CALLS_PER_WRITER = int(os.environ.get("BENCH_CONFLICT_CALLS", "8"))
VISITS_PER_WRITER = int(os.environ.get("BENCH_CONFLICT_VISITS", "4"))
# What twenty clients send in AWS, each waiting about a second for the card authorization
# (about 1.1 s a deposit): 18 deposits a second, about the issue's whole peak hour (8.3
# deposits/s and as many stamp purchases), here on five facilities instead of 3,000.
TARGET_DEPOSITS_PER_SECOND = 18.0
# Calls: the busiest facility (10,000 people held of 1.2 million) at 5x its peak hour (a
# holiday) ends 5 million x 10% / 3,600 s x 10,000 / 1.2 million x 5 = 5.8 calls a second; here
# each of the five facilities does, with as many authorisations: 58 write transactions a
# second.  (A retried end finds the call ended and writes nothing, so no 20x storm of ends.)
TARGET_CALLS_PER_SECOND = 29.0
# Visits: 200,000 bookings a day (docs/scale.md), peak hour 5.6 a second in the whole country,
# here on five facilities, at 5x: 28 holds and 28 bookings a second.
TARGET_VISITS_PER_SECOND = 28.0
OLD_SHARDS = 16
FAMILY_FUNDS_CENTS = 5000  # each family's calling balance at its inmate's facility
VIDEO_SLOTS = 8  # per facility and design: 8 slots x 4 places for 4 families x 4 visits
PHONE = "+1503555{:04d}"


@contextlib.contextmanager
def global_house_accounts() -> Iterator[None]:
    """The design before issue 13, selectable only here: one global card clearing account and
    per-facility fee and stamp accounts, each split into 16 shards picked at random per posting;
    the house accounts that came later (call revenue, visit revenue) global like card clearing."""
    from chalicelib.payments import ledger

    def shard(name: str) -> str:
        return f"{name}#{random.randrange(OLD_SHARDS):02d}"

    saved = ledger.card_clearing, ledger.fee_revenue, ledger.stamp_sales, ledger.house_account
    ledger.card_clearing = lambda facility_id, journal_id, at: shard("card_clearing")
    ledger.fee_revenue = lambda facility_id, journal_id, at: shard(f"facility:{facility_id}:deposit_fees")
    ledger.stamp_sales = lambda facility_id, journal_id, at: shard(f"facility:{facility_id}:stamp_sales")
    ledger.house_account = lambda kind, facility_id, journal_id, at: shard(kind)
    try:
        yield
    finally:
        (ledger.card_clearing, ledger.fee_revenue, ledger.stamp_sales,
         ledger.house_account) = saved


@dataclass
class Writer:
    token: str
    account_id: str
    inmate_id: str
    facility_id: str
    inmate_number: str
    phone: str
    platform_key: str


@dataclass
class Outcome:
    workload: str  # deposits | calls | visits
    design: str
    operations: int
    statuses: Counter
    seconds: float
    writes: int
    write_conflicts: int
    read_conflicts: int
    predicted: float
    replayed: object  # conflicts.Replay
    met: Counter
    transactions_per_operation: int = 1

    @property
    def conflict_share(self) -> float:
        return self.write_conflicts / self.writes if self.writes else math.nan

    @property
    def retries_per_operation(self) -> float:
        return (self.writes - self.transactions_per_operation * self.operations) / self.operations

    @property
    def stack_rate(self) -> float:
        return self.operations / self.seconds

    @property
    def lost(self) -> int:
        return sum(n for status, n in self.statuses.items() if status not in (200, 201))


def predicted_share(design: str, per_facility_rate: float) -> float:
    """What the model says for these rates: a transaction conflicts when another one on a shared
    item arrived less than a window before it, P = 1 - exp(-rate of those others x window)."""
    from chalicelib.core.store import MONEY_STRIPES

    others_here = per_facility_rate * (WRITERS_PER_FACILITY - 1) / WRITERS_PER_FACILITY
    if design == "per facility":
        rate = others_here / MONEY_STRIPES
    else:  # any writer on the same card clearing shard, or on the same fee shard of the facility
        everyone = per_facility_rate * FACILITIES * (FACILITIES * WRITERS_PER_FACILITY - 1) / (
            FACILITIES * WRITERS_PER_FACILITY)
        rate = everyone / OLD_SHARDS + others_here / OLD_SHARDS
    return 1 - math.exp(-rate * WINDOW_SECONDS)


def prepare(base_url: str) -> list[Writer]:
    """Five facilities (with a call platform key, paid video visits every half hour, four places
    each) with four inmates each, and one signed-in family per inmate: an approved contact, an
    approved call number and a funded calling balance."""
    from chalicelib.accounts.store import account_by_email
    from chalicelib.contacts import CONTACT_APPROVED, Contact, ContactClaim, claim_key
    from chalicelib.contacts.call_numbers import CallNumber
    from chalicelib.contacts.states import CallNumberStatus
    from chalicelib.core import clock
    from chalicelib.facilities import platform_keys, rulebook, visit_rules
    from chalicelib.facilities.seed import DEMO_RULES
    from chalicelib.facilities.store import Facility
    from tests.conftest import STRONG_PASSWORD, last_code
    from tests.live_stack import post_json
    from tests.money_fixtures import admit

    rules = json.loads(json.dumps(DEMO_RULES))
    rules["visit_policy"]["video"].update(
        weekly_allowance=50, templates=[{"weekday": day, "start": "08:00", "end": "20:00",
                                         "slot_minutes": 30, "capacity": WRITERS_PER_FACILITY}
                                        for day in visit_rules.WEEKDAYS])
    writers = []
    for f in range(FACILITIES):
        facility_id = f"bench-county-{f}"
        Facility(facility_id, name=f"Bench County {f}", state="MD", stamp_price_cents=39,
                 kind="jail", average_daily_population=420, timezone="America/New_York",
                 rules=rulebook.complete(rules)).save()
        key = platform_keys.issue(facility_id, "Bench platform", by="bench")["key"]
        for w in range(WRITERS_PER_FACILITY):
            inmate_id, email = f"inm_bench_{f}_{w}", f"writer.{f}.{w}@example.com"
            phone = PHONE.format(10 * f + w)
            admit(inmate_id, facility_id, f"B{f}{w:03d}", f"Writer Inmate {f}{w}")
            post_json(base_url, "/v1/auth/signup", {"email": email, "password": STRONG_PASSWORD,
                                                    "full_name": f"Writer {f} {w}"})
            post_json(base_url, "/v1/auth/verify-email", {"email": email, "code": last_code(email)})
            status, body = post_json(base_url, "/v1/auth/login",
                                     {"email": email, "password": STRONG_PASSWORD})
            assert status == 200, body
            token = body["access_token"]
            account_id = account_by_email(email).account_id
            contact_id = f"con_bench_{f}_{w}"
            Contact(contact_id, account_id=account_id, inmate_id=inmate_id,
                    facility_id=facility_id, status=CONTACT_APPROVED, review_key="x",
                    approved_inmate_id=inmate_id, family_name=f"Writer {f} {w}",
                    inmate_name=f"Writer Inmate {f}{w}", inmate_number=f"B{f}{w:03d}",
                    created_at=clock.iso(), created_key=f"{clock.iso_precise()}#{contact_id}").save()
            ContactClaim(claim_key(account_id, inmate_id), contact_id=contact_id).save()
            CallNumber(inmate_id, phone, number_id=f"num_bench_{f}_{w}", account_id=account_id,
                       contact_id=contact_id, facility_id=facility_id,
                       status=CallNumberStatus.APPROVED, created_at=clock.iso()).save()
            status, body = post_json(base_url, "/v1/deposits", {
                "account": "calling", "facility_id": facility_id,
                "amount_cents": FAMILY_FUNDS_CENTS, "payment_method_token": "tok_visa"},
                headers=_bearer(token))
            assert status == 201, body
            writers.append(Writer(token, account_id, inmate_id, facility_id, f"B{f}{w:03d}",
                                  phone, key))
    return writers


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}


def _race(writers: list[Writer], act, per_writer: int) -> tuple[Counter, float]:
    """Every writer at once, ``act(writer, n)`` ``per_writer`` times each, back to back: the
    answers' status codes and the wall seconds."""
    statuses: Counter = Counter()
    lock = threading.Lock()
    start = threading.Barrier(len(writers))

    def write(writer: Writer) -> None:
        start.wait()
        for n in range(per_writer):
            status = act(writer, n)
            with lock:
                statuses[status] += 1

    began = time.perf_counter()
    with ThreadPoolExecutor(len(writers)) as pool:
        list(pool.map(write, writers))
    return statuses, time.perf_counter() - began


def drive(base_url: str, writers: list[Writer], design: str) -> Outcome:
    from tests.live_stack import post_json

    def deposit(writer: Writer, _n: int) -> int:
        return post_json(base_url, "/v1/deposits", {
            "inmate_id": writer.inmate_id, "account": "trust", "amount_cents": 100,
            "payment_method_token": "tok_visa"}, headers=_bearer(writer.token), timeout=120)[0]

    tally = ConflictingEmulator.conflicts.measure(TARGET_DEPOSITS_PER_SECOND)
    statuses, seconds = _race(writers, deposit, DEPOSITS_PER_WRITER)
    return Outcome("deposits", design, sum(statuses.values()), statuses, seconds, tally.writes,
                   tally.write_conflicts, tally.read_conflicts,
                   predicted_share(design, TARGET_DEPOSITS_PER_SECOND / FACILITIES),
                   replay(tally.sequence, TARGET_DEPOSITS_PER_SECOND), tally.met)


def drive_calls(base_url: str, writers: list[Writer], design: str) -> Outcome:
    """Each writer is its facility's platform placing calls from its inmate to its family: an
    authorisation (the hold, from the family's calling balance), then the end (one journal on
    the facility's house call revenue).  A status is the end's (a refusal counts as lost)."""
    from tests.live_stack import post_json

    def call(writer: Writer, n: int) -> int:
        platform = {"X-Platform-Key": writer.platform_key}
        status, body = post_json(base_url, "/v1/telephony/calls/authorize", {
            "inmate_number": writer.inmate_number, "dialed_number": writer.phone},
            headers=platform, timeout=120)
        if status != 200 or not body.get("allowed"):
            return 402 if status == 200 else status  # refused: counted as lost
        status, _ = post_json(base_url, f"/v1/telephony/calls/{body['call_id']}/end",
                              {"connected_seconds": 60 + 7 * n, "end_cause": "hangup"},
                              headers=platform, timeout=120)
        return status

    rate = 2 * TARGET_CALLS_PER_SECOND
    tally = ConflictingEmulator.conflicts.measure(rate)
    statuses, seconds = _race(writers, call, CALLS_PER_WRITER)
    return Outcome("calls", design, sum(statuses.values()), statuses, seconds, tally.writes,
                   tally.write_conflicts, tally.read_conflicts, math.nan,
                   replay(tally.sequence, rate), tally.met, transactions_per_operation=2)


def drive_visits(base_url: str, writers: list[Writer], design: str, days_ahead: int) -> Outcome:
    """Each family holds, then books, paid video visits for its inmate on the facility's first
    ``VIDEO_SLOTS`` slots of a day, each slot once, in its own random order: the facility's
    four families race for the same places.  A status is the booking's."""
    from chalicelib import facilities
    from chalicelib.core import clock
    from chalicelib.visits import slots
    from tests.live_stack import post_json

    day_slots = {}
    for facility_id in {writer.facility_id for writer in writers}:
        facility = facilities.facility(facility_id)
        tz = slots.zone(facility.timezone)
        day = slots.local_date(clock.now(), tz) + timedelta(days=days_ahead)
        policy = facilities.visit_mode(facility.rules.as_dict(), "video")
        day_slots[facility_id] = [slot.slot_id for slot in slots.slots_between(
            policy, facility_id, tz, day, day)[:VIDEO_SLOTS]]
    orders = {writer.account_id: random.Random(f"{design}{writer.account_id}").sample(  # noqa: S311
        day_slots[writer.facility_id], VISITS_PER_WRITER) for writer in writers}

    def visit(writer: Writer, n: int) -> int:
        status, held = post_json(base_url, "/v1/visits/holds", {
            "slot_id": orders[writer.account_id][n], "inmate_id": writer.inmate_id},
            headers=_bearer(writer.token), timeout=120)
        if status != 201:
            return status
        return post_json(base_url, "/v1/visits", {
            "hold_id": held["hold_id"], "payment_method_token": "tok_visa",
            "visitors": [{"full_name": "Dana Lee", "date_of_birth": "1984-03-09"}]},
            headers=_bearer(writer.token), timeout=120)[0]

    rate = 2 * TARGET_VISITS_PER_SECOND
    tally = ConflictingEmulator.conflicts.measure(rate)
    statuses, seconds = _race(writers, visit, VISITS_PER_WRITER)
    return Outcome("visits", design, sum(statuses.values()), statuses, seconds, tally.writes,
                   tally.write_conflicts, tally.read_conflicts, math.nan,
                   replay(tally.sequence, rate), tally.met, transactions_per_operation=2)


DESIGNS = (("global (baseline)", global_house_accounts), ("per facility", contextlib.nullcontext))


def measure() -> tuple[list[Outcome], object]:
    from tests.live_stack import running_stack  # the test stage: bcrypt cost 4 for sign-ups

    from bench.harness import logs_discarded
    from chalicelib.config import reset_settings
    from chalicelib.payments import processor
    from chalicelib.payments.audit import audit

    os.environ["PER_SOURCE_LIMITS"] = "off"  # twenty families behind one address
    reset_settings()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per emulator call
    try:
        with running_stack(ConflictingEmulator) as base_url, logs_discarded():
            processor.use_processor(processor.TestProcessor())
            writers = prepare(base_url)
            outcomes = []
            for days_ahead, (design, chosen) in enumerate(DESIGNS, start=2):
                with chosen():
                    outcomes.append(drive(base_url, writers, design))
                    outcomes.append(drive_calls(base_url, writers, design))
                    outcomes.append(drive_visits(base_url, writers, design, days_ahead))
            return outcomes, audit()
    finally:
        processor.use_processor(None)
        os.environ.pop("PER_SOURCE_LIMITS", None)
        reset_settings()


UNITS = {"deposits": "deposit", "calls": "call (authorise + end)",
         "visits": "visit (hold + booking)"}
RATES = {"deposits": f"{TARGET_DEPOSITS_PER_SECOND:.0f} deposits/s",
         "calls": f"{TARGET_CALLS_PER_SECOND:.0f} calls/s ({2 * TARGET_CALLS_PER_SECOND:.0f} "
                  "transactions/s)",
         "visits": f"{TARGET_VISITS_PER_SECOND:.0f} visits/s ({2 * TARGET_VISITS_PER_SECOND:.0f} "
                   "transactions/s)"}


def run() -> list[tuple[str, float, str, str]]:
    outcomes, report = measure()
    rows = []
    for outcome in outcomes:
        goal = "< 1" if outcome.design == "per facility" else ""
        replayed = outcome.replayed
        name = f"conflicts: {outcome.workload}, {outcome.design}"
        predicted = ("" if math.isnan(outcome.predicted) else
                     f" The model predicts {100 * outcome.predicted:.2f}%.")
        detail = (f"live: {outcome.operations} {outcome.workload} in {outcome.seconds:.1f} s "
                  f"({outcome.stack_rate:.1f}/s here, standing for {RATES[outcome.workload]}), "
                  f"answers {dict(outcome.statuses)}; {outcome.writes} TransactWriteItems, "
                  f"{outcome.write_conflicts} cancelled by a conflict "
                  f"({100 * outcome.conflict_share:.2f}%), {outcome.read_conflicts} TransactGetItems "
                  f"conflicts. Replayed 50 times: {replayed.transactions} transactions, "
                  f"{replayed.conflicted} met a conflict, {replayed.retries} retries, "
                  f"{replayed.lost} lost after the last retry.{predicted} Live conflicts met "
                  f"on: {dict(outcome.met.most_common(4)) or 'nothing'}")
        unit = UNITS[outcome.workload]
        rows += [
            (f"{name}, % of transactions (replayed)", 100 * replayed.share, goal, detail),
            (f"{name}, % of transactions (live run)", 100 * outcome.conflict_share, "", ""),
            (f"{name}, retries per {unit.split()[0]} (replayed)",
             outcome.transactions_per_operation * replayed.retries / replayed.transactions, "",
             ""),
            (f"{name}, write retries per {unit.split()[0]} (live run)",
             outcome.retries_per_operation, "", ""),
            (f"{name}, {outcome.workload} lost (live run)", float(outcome.lost), "<= 0", ""),
        ]
    rows.append(("conflicts: audit mismatches after every run", float(len(report.mismatches)
                                                                      + (report.total_cents != 0)),
                 "<= 0", f"{report.accounts} accounts, {report.journals} journals"))
    return rows


def main() -> int:
    from bench.__main__ import goal_met
    from bench.harness import prepare_environment

    prepare_environment()
    for name, value, goal, detail in run():
        print(f"{name:<62} {value:>8.3f}  {goal:<6} {goal_met(value, goal)}")
        if detail:
            print(f"    {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
