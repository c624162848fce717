"""What every benchmark shares: the ``dev`` stage's settings, moto in-process, a DynamoDB call
counter, and interleaved timing with medians.

The environment is set up the way ``tests/conftest.py`` does it (fake credentials, no endpoint
override, stage variables from ``.chalice/config.json``), but on the ``dev`` stage, whose
settings are production-grade (bcrypt cost 12), because the goals compare at equal cost.
"""
from __future__ import annotations

import contextlib
import json
import os
import statistics
import time
from pathlib import Path
from collections.abc import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
STAGE = "dev"
SEED = 20261125


def stage_environment(stage: str = STAGE) -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return {**config.get("environment_variables", {}),
            **config["stages"][stage].get("environment_variables", {})}


def prepare_environment() -> None:
    """Fake credentials, no real endpoint, the stage's settings; bcrypt cost pinned to 12 so the
    comparison holds even if the stage's value changes."""
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"})
    os.environ.update(stage_environment())
    os.environ["BCRYPT_COST"] = "12"


class DynamoCallCounter:
    """Counts DynamoDB API calls through botocore's ``before-call.dynamodb`` event.

    Registered in botocore's built-in handlers (as moto registers its stub), so every client
    created afterwards, PynamoDB's included, reports to it.
    """

    def __init__(self) -> None:
        self.calls: list[str] = []
        from botocore.handlers import BUILTIN_HANDLERS

        BUILTIN_HANDLERS.append(("before-call.dynamodb", self._on_call))

    def _on_call(self, model, **_kwargs) -> None:
        self.calls.append(model.name)

    @contextlib.contextmanager
    def counting(self) -> Iterator[list[str]]:
        """Yields the list of operation names made inside the block (filled on exit)."""
        made: list[str] = []
        start = len(self.calls)
        yield made
        made.extend(self.calls[start:])


_counter: DynamoCallCounter | None = None


def dynamo_calls() -> DynamoCallCounter:
    global _counter
    if _counter is None:
        _counter = DynamoCallCounter()
    return _counter


@contextlib.contextmanager
def fresh_aws() -> Iterator[None]:
    """moto in-process with every table created, the notification queue and the SES sender
    verified."""
    from moto import mock_aws

    from chalicelib.config import get_settings, reset_settings
    from chalicelib.core import aws, clock, delivery, notify
    from chalicelib.core.store import create_tables, reset_connections

    dynamo_calls()  # before any client exists, so every client reports to it
    with mock_aws():
        reset_settings()
        aws.reset_clients()
        notify.use_notifier(None)
        clock.reset()
        reset_connections()  # PynamoDB caches connections; a new moto context wants fresh ones
        create_tables()
        delivery.ensure_queue()
        aws.client("ses").verify_email_identity(EmailAddress=get_settings().email_sender)
        try:
            yield
        finally:
            clock.reset()
            reset_settings()


Sample = tuple[float, float]  # (wall seconds, CPU seconds of the measuring process)


def timed(action: Callable[[], object]) -> Sample:
    """Wall time is what the goals speak of; CPU time is reported beside it because a shared
    machine's other load stretches wall time but barely moves the CPU a process itself uses."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def interleaved(runs: int, *actions: Callable[[], Sample]) -> list[list[Sample]]:
    """Run each action once per round, in turn, so drift (CPU frequency, noisy neighbours)
    falls on all of them alike."""
    samples: list[list[Sample]] = [[] for _ in actions]
    for _ in range(runs):
        for sample, action in zip(samples, actions):
            sample.append(action())
    return samples


def wall(samples: list[Sample]) -> float:
    """Median wall seconds."""
    return statistics.median(s[0] for s in samples)


def cpu(samples: list[Sample]) -> float:
    """Median CPU seconds."""
    return statistics.median(s[1] for s in samples)


@contextlib.contextmanager
def logs_discarded() -> Iterator[None]:
    """Request logs are formatted as in production (their cost counts) but written to the null
    device, so the benchmark's table stays readable."""
    from chalicelib.core.logs import logger

    handlers = logger().handlers
    with open(os.devnull, "w") as null:
        previous = [handler.setStream(null) for handler in handlers]
        try:
            yield
        finally:
            for handler, stream in zip(handlers, previous):
                handler.setStream(stream)
