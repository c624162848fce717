"""Concurrency and invariants of the ledger (issue 4).

Threads call the domain service directly (Chalice's test client is not thread-safe) against
moto in-process.  Moto applies each DynamoDB call whole but does not simulate transaction
conflicts (``TransactionConflict``) or the isolation of concurrent transactions; what makes the
outcome exact in production are the conditions inside each ``TransactWriteItems``, which
DynamoDB evaluates atomically with the writes:

* idempotency record: ``attribute_not_exists(scope_key) OR expires_at <= now`` (at most one
  transaction per key commits; the others are cancelled whole, void their card authorization
  and replay the winner's response);
* deposit and ledger entries: ``attribute_not_exists`` on fresh keys (append-only);
* sender's day tally: ``attribute_not_exists(total_cents) OR total_cents <= cap - amount``
  (concurrent deposits cannot together pass the daily cap);
* refund: ``status = completed`` on the deposit and ``balance_cents >= amount`` on the inmate
  account (one reversal, never an overdraft).

Balances change only by ``ADD`` in the same transactions, so they cannot drift from the entries.

Moto is also not thread-safe in one way that matters here: a cancelled transaction restores a
deep copy of each table it touched, erasing writes other threads made meanwhile.  DynamoDB
transactions are serializable, so the ``serialised_moto`` fixture gives moto that property by
running one AWS call at a time; the threads still race everywhere else (reads, card
authorization, the check-then-write window between snapshot and transaction).
"""
from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.core.errors import DomainError
from chalicelib.core.identity import Client, Principal
from chalicelib.payments import deposits, ledger
from chalicelib.payments.audit import audit
from chalicelib.payments.house import house_totals, roll_up_recent
from chalicelib.payments.ledger import LedgerEntry
from chalicelib.payments.store import Deposit
from tests.money_fixtures import DEMO_FACILITY_ID, card, deposit_body, facilities  # noqa: F401

CLIENT = Client("203.0.113.9", "pytest-threads")
THREADS = 8


@pytest.fixture
def serialised_moto(monkeypatch):
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.Lock()
    original = BotocoreStubber.__call__

    def one_at_a_time(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", one_at_a_time)


def family_principal(n: int) -> Principal:
    return Principal(f"acc_family_{n}", "family", f"session_{n}")


STAFF = Principal("acc_staff", "staff", "session_staff", DEMO_FACILITY_ID)


def run_together(calls):
    """Start every call at the same moment; returns results or the domain errors raised."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call()
        except DomainError as error:
            return error

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def all_entries_sum() -> int:
    return sum(int(entry.amount_cents) for entry in LedgerEntry.scan())


def test_eight_threads_with_distinct_keys_each_deposit_once(api, facilities, card, serialised_moto):
    sender = family_principal(1)
    results = run_together([
        lambda n=n: deposits.deposit(sender, CLIENT, f"key-{n}", deposit_body(amount_cents=1000))
        for n in range(THREADS)])
    ids = {result.body()["deposit_id"] for result in results}
    assert len(ids) == THREADS, "nothing lost"
    assert ledger.balance_of("inmate:inm_A1001:trust") == THREADS * 1000, "nothing doubled"
    assert card.net_cents() == THREADS * (1000 + 30)
    assert audit().ok and all_entries_sum() == 0


def test_eight_threads_with_one_key_deposit_exactly_once(api, facilities, card, serialised_moto):
    sender = family_principal(1)
    results = run_together([
        lambda: deposits.deposit(sender, CLIENT, "same-key", deposit_body(amount_cents=1000))
        for _ in range(THREADS)])
    assert len({result.text for result in results}) == 1, "every caller gets the same response"
    assert sum(not result.replayed for result in results) == 1
    assert len(list(Deposit.scan())) == 1
    assert ledger.balance_of("inmate:inm_A1001:trust") == 1000
    assert card.net_cents() == 1030, "the losers' authorizations were voided, never captured"
    assert audit().ok and all_entries_sum() == 0


def test_concurrent_refunds_reverse_once(api, facilities, card, serialised_moto):
    deposit_id = deposits.deposit(family_principal(1), CLIENT, "k",
                                  deposit_body(amount_cents=5000)).body()["deposit_id"]
    results = run_together([lambda: deposits.refund(STAFF, deposit_id, "error")
                            for _ in range(THREADS)])
    refunded = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refunded) >= 1 and all(e.code == "already_refunded" for e in refused)
    assert ledger.balance_of("inmate:inm_A1001:trust") == 0
    assert card.net_cents() == 0, "the card refund is sent once"
    assert audit().ok and all_entries_sum() == 0


OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("deposit"), st.integers(0, 5), st.sampled_from(["inm_A1001", "inm_A1002"]),
              st.sampled_from(["trust", "phone"]), st.integers(50, 31000),
              st.sampled_from(["tok_visa", "tok_visa", "tok_declined", "tok_processor_error"])),
    st.tuples(st.just("retry"), st.integers(0, 30)),
    st.tuples(st.just("refund"), st.integers(0, 30)),
), min_size=1, max_size=12)


@pytest.mark.filterwarnings("ignore")
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
@pytest.mark.slow
def test_random_histories_keep_the_ledger_balanced(api, facilities, card, operations):
    """Deposits, retries with the same key, declines, outages, limits and refunds in any order:
    every journal balances, every stored balance equals its recomputation, and the cards were
    charged exactly what the inmate accounts and fee revenue received."""
    history = uuid.uuid4().hex  # examples share one moto state; keys must not collide
    sent: list[tuple[Principal, str, dict]] = []
    made: list[str] = []
    for step, operation in enumerate(operations):
        try:
            if operation[0] == "deposit":
                _, sender, inmate_id, account, amount, token = operation
                request = (family_principal(sender), f"{history}-{step}",
                           deposit_body(inmate_id, amount, account, token))
                sent.append(request)
                made.append(deposits.deposit(request[0], CLIENT, request[1], request[2]).body()["deposit_id"])
            elif operation[0] == "retry" and sent:
                principal, key, body = sent[operation[1] % len(sent)]
                deposits.deposit(principal, CLIENT, key, body)
            elif operation[0] == "refund" and made:
                deposits.refund(STAFF, made[operation[1] % len(made)], "property test")
        except DomainError as error:
            assert error.code in {"payment_declined", "processor_unavailable", "limit_exceeded",
                                  "already_refunded", "insufficient_balance"}, error.code
    report = audit()
    assert report.ok, report.mismatches
    assert all_entries_sum() == 0
    roll_up_recent()
    assert -card.net_cents() == house_totals().get("card_clearing", 0)
