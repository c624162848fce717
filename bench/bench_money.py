"""(d) DynamoDB calls per deposit and per quote (issue 4), counted with botocore's
``before-call.dynamodb`` event on every client (``bench.harness.dynamo_calls``), moto in-process.

Measured at the domain service, i.e. what the deposit itself costs; each HTTP request adds the
bearer-token check (two GetItem: session and account, plus an UpdateItem at most once a minute).
The first deposit of a sender is measured after a warm-up deposit of another sender, and the
median over several deposits is reported (every deposit costs the same; the median only guards
against a retried transaction conflict, which moto never produces).
"""
from __future__ import annotations

import statistics
import uuid

from bench.harness import dynamo_calls, fresh_aws, logs_discarded

READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
DEPOSITS = 7


def _split(calls: list[str]) -> tuple[int, int, int]:
    """(read calls, write transactions, other writes)."""
    reads = sum(call in READS for call in calls)
    transactions = calls.count("TransactWriteItems")
    return reads, transactions, len(calls) - reads - transactions


def run() -> list[tuple[str, float, str, str]]:
    from chalicelib.core.identity import Client, Principal
    from chalicelib.facilities.seed import seed_demo_facility
    from chalicelib.payments import deposits, processor

    counter = dynamo_calls()
    client = Client("198.51.100.7", "bench")
    body = {"inmate_id": "inm_A1001", "account": "trust", "amount_cents": 2500,
            "payment_method_token": "tok_visa"}
    with fresh_aws(), logs_discarded():
        processor.use_processor(processor.TestProcessor())
        seed_demo_facility()
        deposits.deposit(Principal("acc_warmup", "family", "s0"), client, "warm-up", body)
        per_deposit, per_quote, per_replay = [], [], []
        for n in range(DEPOSITS):
            sender = Principal(f"acc_bench_{n}", "family", f"s{n}")
            key = uuid.uuid4().hex
            with counter.counting() as calls:
                deposits.deposit(sender, client, key, body)
            per_deposit.append(_split(calls))
            with counter.counting() as calls:
                deposits.deposit(sender, client, key, body)
            per_replay.append(_split(calls))
            with counter.counting() as calls:
                deposits.quote("inm_A1001", "trust", 2500)
            per_quote.append(_split(calls))
        processor.use_processor(None)

    def median(samples, index):
        return float(statistics.median(sample[index] for sample in samples))

    return [
        ("money: read calls per deposit", median(per_deposit, 0), "<= 2",
         "one TransactGetItems (idempotency record, inmate, sender, day tallies), then the "
         "facility's rules"),
        ("money: write transactions per deposit", median(per_deposit, 1), "<= 1",
         "one TransactWriteItems holds every write of the deposit"),
        ("money: other writes per deposit", median(per_deposit, 2), "<= 1",
         "after the capture, the card payment leaves the unsettled index"),
        ("money: read calls per quote", median(per_quote, 0), "<= 2",
         "GetItem of the inmate, then of its facility (the rules live there only)"),
        ("money: calls per replayed deposit", median(per_replay, 0) + median(per_replay, 1)
         + median(per_replay, 2), "<= 1", "the replay is read, nothing written"),
    ]
