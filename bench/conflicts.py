"""DynamoDB's transaction conflicts, modelled in front of the local emulator.

The emulator applies one request at a time, so two transactions never overlap in it and
``TransactionConflict`` never happens there.  In DynamoDB a ``TransactWriteItems`` holds each
of its items while it runs; another transaction that touches one of them meanwhile is cancelled
with ``TransactionConflict`` (and retried by ``core.store``).  ``TransactionConflicts`` models
that: each write transaction reserves its item keys for a window from its arrival, and a
transaction (write or read) arriving while one of its items is reserved gets DynamoDB's own
cancellation, item by item; a cancelled read moves the clock on by one arrival gap (the app's
retry pause, during which others write: without it, a read of one's own fresh write at the end
of a run, when no one else writes, could never pass).  Which transactions arrive, in which
order, touching which items, and the app's retries are real (concurrent HTTP clients of the
live stack).  Their timing is not: the local stack is slower than AWS and its
one-request-at-a-time emulator bunches arrivals, so with ``measure(target_rate)`` each write
transaction advances a clock by a random exponential gap (Poisson arrivals at the target rate)
and windows are reserved on that clock.
Why: docs/scale.md ("Transaction conflicts")
"""
from __future__ import annotations

import io
import json
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from scripts.local_emulator import SerialMotoServer

# How long a transaction holds its items: 30 ms, a TransactWriteItems of a few items at the
# service (the figures follow from the same window; see docs/scale.md).
WINDOW_SECONDS = 0.030
CANCELLED = "com.amazonaws.dynamodb.v20120810#TransactionCanceledException"


def key_names() -> dict[str, list[str]]:
    """Table name -> its key attributes, from the registered models (all of them loaded)."""
    from chalicelib.core import lazy
    from chalicelib.core.store import MODELS

    lazy.load_registrations()
    return {model.Meta.table_name: [attribute.attr_name for attribute in
                                    model.get_attributes().values()
                                    if attribute.is_hash_key or attribute.is_range_key]
            for model in MODELS}


def transaction_item_keys(request: dict, names: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(table, key) of every item of a TransactWriteItems / TransactGetItems request, in order."""
    keys = []
    for item in request["TransactItems"]:
        [(_, body)] = item.items()
        values = body.get("Key") or body["Item"]
        key = "|".join(next(iter(values[name].values())) for name in names[body["TableName"]])
        keys.append((body["TableName"], key))
    return keys


@dataclass
class Tally:
    writes: int = 0  # TransactWriteItems received (retries included)
    write_conflicts: int = 0
    reads: int = 0  # TransactGetItems received
    read_conflicts: int = 0
    # The item keys of every write transaction's first attempt, in arrival order (for replay).
    sequence: list[frozenset] = field(default_factory=list)
    # What the cancelled write transactions met: "<table>: <key up to its first # or :>".
    met: Counter = field(default_factory=Counter)


class TransactionConflicts:
    """WSGI middleware: DynamoDB's item locks around an emulator that has none."""

    def __init__(self, app, window_seconds: float = WINDOW_SECONDS) -> None:
        self.app, self.window = app, window_seconds
        self.tally = Tally()
        self.target_rate: float | None = None  # None: the wall clock
        self._clock = 0.0
        self._random = random.Random(13)  # noqa: S311 (a model's arrivals, not security)
        self._held: dict[tuple[str, str], float] = {}
        self._attempted: set[frozenset] = set()
        self._lock = threading.Lock()
        self._names: dict[str, list[str]] | None = None

    def measure(self, target_rate: float | None) -> Tally:
        """Start a fresh tally; write transactions arrive as a Poisson stream of
        ``target_rate`` a second (None: on the wall clock)."""
        with self._lock:
            self.target_rate, self.tally, self._clock = target_rate, Tally(), 0.0
            self._held.clear()
            self._attempted.clear()
            return self.tally

    def _now(self, writing: bool) -> float:
        if self.target_rate is None:
            return time.monotonic()
        if writing:
            self._clock += self._random.expovariate(self.target_rate)
        return self._clock

    def __call__(self, environ, start_response):
        operation = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
        if operation not in ("TransactWriteItems", "TransactGetItems"):
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        self._names = self._names or key_names()
        keys = transaction_item_keys(json.loads(body), self._names)
        writing = operation == "TransactWriteItems"
        with self._lock:
            now = self._now(writing)
            busy = [self._held.get(key, -1.0) > now for key in keys]
            if writing:
                # A retry is the same transaction but for its activity entry (keyed by time); in
                # the old design a retry also draws new shards and counts as a transaction.
                same = frozenset(key for key in keys if not key[0].endswith("-activity"))
                if same not in self._attempted:
                    self._attempted.add(same)
                    self.tally.sequence.append(frozenset(keys))
                self.tally.writes += 1
                self.tally.write_conflicts += any(busy)
                self.tally.met.update(f"{table.split('-', 2)[-1]}: {re.split('[#:]', key)[0]}"
                                      for (table, key), held in zip(keys, busy) if held)
                if not any(busy):
                    for key in keys:
                        self._held[key] = now + self.window
            else:
                self.tally.reads += 1
                self.tally.read_conflicts += any(busy)
                if any(busy) and self.target_rate is not None:
                    self._clock += self._random.expovariate(self.target_rate)
        if any(busy):
            return _cancelled(busy, start_response)
        return self.app(environ, start_response)


@dataclass
class Replay:
    transactions: int = 0
    conflicted: int = 0  # whose first attempt was cancelled by a conflict
    retries: int = 0
    lost: int = 0  # still in conflict after the last retry

    @property
    def share(self) -> float:
        return self.conflicted / self.transactions


def replay(sequence: list[frozenset], rate: float, rounds: int = 50, seed: int = 13,
           window: float = WINDOW_SECONDS) -> Replay:
    """The recorded transactions again, ``rounds`` times on fresh Poisson clocks, retried as
    ``core.store`` retries (up to 4 times after a jittered, doubling pause): a live run of a
    few hundred deposits sees a handful of conflicts; this sharpens the share without
    pretending to know more than which transactions met on which items."""
    from chalicelib.core.store import CONFLICT_RETRIES

    draw = random.Random(seed)  # noqa: S311 (a model's arrivals, not security)
    result = Replay()
    for _ in range(rounds):
        held: dict = {}
        clock = 0.0
        for keys in sequence:
            clock += draw.expovariate(rate)
            at = clock
            result.transactions += 1
            for attempt in range(CONFLICT_RETRIES + 1):
                if not any(held.get(key, -1.0) > at for key in keys):
                    held.update(dict.fromkeys(keys, at + window))
                    break
                result.conflicted += attempt == 0
                if attempt == CONFLICT_RETRIES:
                    result.lost += 1
                else:
                    result.retries += 1
                    at += draw.uniform(0, 0.02 * 2 ** attempt)
    return result


def _cancelled(busy: list[bool], start_response) -> list[bytes]:
    reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
               if conflict else {"Code": "None"} for conflict in busy]
    codes = ", ".join(reason["Code"] for reason in reasons)
    payload = json.dumps({"__type": CANCELLED, "CancellationReasons": reasons,
                          "Message": "Transaction cancelled, please refer cancellation reasons "
                                     f"for specific reasons [{codes}]"}).encode()
    start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.0"),
                                       ("Content-Length", str(len(payload)))])
    return [payload]


class ConflictingEmulator(SerialMotoServer):
    """The live stack's emulator with DynamoDB's transaction conflicts (``conflicts.tally``)."""

    conflicts: TransactionConflicts | None = None

    def application(self):
        type(self).conflicts = TransactionConflicts(super().application())
        return type(self).conflicts
