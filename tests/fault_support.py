"""Fault injection for the resilience tests: make the Nth AWS call of a request fail.

Every AWS call, boto3's and PynamoDB's alike, goes through
``botocore.client.BaseClient._make_api_call`` (moto answers from below it), so patching that one
method sees the calls in order and can raise at any of them what botocore itself would raise
after its own retries gave up: a throttling or 5xx ``ClientError``, a cancelled transaction
(conflict), a connection failure or a read timeout.

``sweep(flow)`` is the driver: it runs the flow once clean to count its calls, then once per
call point and per fault kind that fits that call, with the fault at that point, and hands each
outcome to the flow's checks.  A flow says how to prepare a fresh attempt, how to make the
request, and what must hold after a fault and after the retry.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from unittest import mock

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.hooks import HierarchicalEmitter

ENDPOINT = "https://aws.example.invalid"


def _client_error(code: str, status: int) -> Callable[[str, str, dict], Exception]:
    def build(service: str, operation: str, params: dict) -> Exception:
        return ClientError({"Error": {"Code": code, "Message": f"injected {code}"},
                            "ResponseMetadata": {"HTTPStatusCode": status}}, operation)
    return build


def _conflict(service: str, operation: str, params: dict) -> Exception:
    """A transaction cancelled because another one touched its first item at that instant."""
    items = params.get("TransactItems", [])
    reasons = [{"Code": "TransactionConflict", "Message": "injected conflict"}]
    reasons += [{"Code": "None"}] * (len(items) - 1)
    return ClientError({"Error": {"Code": "TransactionCanceledException",
                                  "Message": "Transaction cancelled [TransactionConflict]"},
                        "CancellationReasons": reasons,
                        "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)


def _unreachable(service: str, operation: str, params: dict) -> Exception:
    return EndpointConnectionError(endpoint_url=ENDPOINT)


def _timeout(service: str, operation: str, params: dict) -> Exception:
    return ReadTimeoutError(endpoint_url=ENDPOINT)


FAULTS: dict[str, Callable[[str, str, dict], Exception]] = {
    "throttled": _client_error("ProvisionedThroughputExceededException", 400),
    "server_error": _client_error("InternalServerError", 500),
    "send_throttled": _client_error("Throttling", 400),
    "access_denied": _client_error("AccessDeniedException", 400),  # a bug, not an outage
    "conflict": _conflict,
    "unreachable": _unreachable,
    "timeout": _timeout,
}


def faults_for(call: str, point: int = 0) -> list[str]:
    """The fault kinds that call (``service.Operation``) can really meet, one per way the code
    can tell them apart: an AWS error answer (throttled or 5xx, alternating by ``point``), a
    transport failure (unreachable or timed out, alternating) and, for transactions, a conflict.
    The two members of a pair take the same path (neither is a failed condition), so the sweep
    meets each at every other point instead of repeating the flow for both."""
    service, operation = call.split(".", 1)
    if service != "dynamodb":
        return ["send_throttled", "unreachable"]
    kinds = [("throttled", "server_error")[point % 2], ("unreachable", "timeout")[point // 2 % 2]]
    if operation in ("TransactWriteItems", "TransactGetItems"):
        kinds.append("conflict")
    return kinds


@dataclass
class CallLog:
    """The AWS calls made while it was installed, and which one was made to fail."""

    fail_at: int | None = None
    fault: str | None = None
    calls: list[str] = field(default_factory=list)
    injected: str | None = None


@pytest.fixture
def dynamodb_calls(monkeypatch):
    """The names of the DynamoDB operations called from now on (cost tests count them)."""
    calls: list[str] = []
    original = HierarchicalEmitter._emit

    def emit(self, event_name, kwargs, stop_on_response=False):
        if event_name.startswith("before-call.dynamodb."):
            calls.append(event_name.rsplit(".", 1)[1])
        return original(self, event_name, kwargs, stop_on_response)

    monkeypatch.setattr(HierarchicalEmitter, "_emit", emit)
    return calls


@contextlib.contextmanager
def aws_calls(fail_at: int | None = None, fault: str | None = None) -> Iterator[CallLog]:
    """Record AWS calls; with ``fail_at`` the call of that number (1-based) raises ``fault``."""
    log = CallLog(fail_at, fault)
    original = BaseClient._make_api_call

    def intercepted(client: BaseClient, operation: str, params: dict) -> Any:
        service = client.meta.service_model.service_name
        log.calls.append(f"{service}.{operation}")
        if len(log.calls) == log.fail_at:
            log.injected = log.calls[-1]
            raise FAULTS[fault](service, operation, params)
        return original(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", intercepted):
        yield log


class Flow(Protocol):
    """One request under test.  ``prepare`` gives a fresh attempt (its own key, account or
    code); ``request`` makes the call; ``normal`` lists the contract's answers; the checks
    raise AssertionError with a readable reason."""

    name: str
    normal: tuple[int, ...]

    def prepare(self) -> Any: ...

    def request(self, attempt: Any): ...

    def check_consistent(self, attempt: Any, response) -> None: ...

    def check_retried(self, attempt: Any, first, retry) -> None: ...


@dataclass
class SweepReport:
    flow: str
    clean_calls: list[str]
    scenarios: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def points(self) -> int:
        return len(self.clean_calls)


def sweep(flow: Flow) -> SweepReport:
    """Fault every call point of ``flow`` with every fitting fault kind; check each outcome."""
    attempt = flow.prepare()
    with aws_calls() as clean:
        response = flow.request(attempt)
    assert response.status_code in flow.normal, (flow.name, response.status_code, response.json)
    flow.check_consistent(attempt, response)
    report = SweepReport(flow.name, clean.calls)
    for point, call in enumerate(clean.calls, start=1):
        for fault in faults_for(call, point):
            attempt = flow.prepare()
            with aws_calls(point, fault) as log:
                first = flow.request(attempt)
            where = f"{flow.name}: {fault} at call {point} ({call})"
            assert log.injected == call, f"{where}: the flow took another path: {log.calls}"
            assert_retryable_or_normal(first, flow.normal, where)
            flow.check_consistent(attempt, first)
            retry = flow.request(attempt)
            flow.check_retried(attempt, first, retry)
            report.scenarios += 1
            outcome = str(first.status_code)
            report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
    return report


def assert_retryable_or_normal(response, normal: tuple[int, ...], where: str) -> None:
    """The contract's own answer, or a 503 problem the client may retry; never a 500."""
    if response.status_code in normal:
        return
    body = response.json or {}
    assert response.status_code == 503, f"{where}: got {response.status_code} {body}"
    assert response.headers.get("Content-Type") == "application/problem+json", where
    assert body.get("code") == "service_unavailable", f"{where}: {body}"
    assert int(response.headers.get("Retry-After", "0")) > 0, f"{where}: no Retry-After"
