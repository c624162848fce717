"""The one source of "now", so tests and benchmarks can move time without sleeping."""
from __future__ import annotations

import time
from datetime import datetime, UTC

_offset_seconds = 0.0


def now() -> float:
    """Seconds since the epoch, as a float."""
    return time.time() + _offset_seconds


def iso(epoch_seconds: float | None = None) -> str:
    """ISO 8601 UTC, second precision, with a ``Z`` suffix (docs/api.md: times are UTC strings)."""
    moment = now() if epoch_seconds is None else epoch_seconds
    return datetime.fromtimestamp(moment, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_precise(epoch_seconds: float | None = None) -> str:
    """ISO 8601 UTC with microseconds: for instants that must differ even within one second
    (ordering keys, "password changed at" that remembered devices are bound to)."""
    moment = now() if epoch_seconds is None else epoch_seconds
    return datetime.fromtimestamp(moment, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def advance(seconds: float) -> None:
    """Move the clock forward (tests only)."""
    global _offset_seconds
    _offset_seconds += seconds


def reset() -> None:
    global _offset_seconds
    _offset_seconds = 0.0
