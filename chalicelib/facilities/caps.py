"""Legal per-minute rate caps (FCC 24-75, then 25-75) by facility size tier, read from
``data/rate_caps.json`` (dated data, never constants): the tier follows from the facility's kind
and average daily population (ADP), the table from the day.  Why:
docs/decisions/facility-operations.md
"""
from __future__ import annotations

import json
from typing import NamedTuple
from functools import cache
from pathlib import Path

KINDS = ("jail", "prison")
MODES = ("audio", "video")
_DATA = Path(__file__).resolve().parent / "data" / "rate_caps.json"
# Jails by ADP, largest first (FCC 25-75's tiers; 24-75 joins the two smallest).
_JAIL_TIERS = ((1000, "large_jail"), (350, "medium_jail"), (100, "small_jail"),
               (50, "very_small_jail"), (0, "extremely_small_jail"))


def size_tier(kind: str, average_daily_population: int) -> str:
    if kind == "prison":
        return "prison"
    return next(tier for floor, tier in _JAIL_TIERS if average_daily_population >= floor)


class Cap(NamedTuple):
    cents_per_minute: int
    basis: str  # the rule it comes from, e.g. "FCC 25-75"
    effective: str  # ISO date


@cache
def _tables() -> tuple[dict, ...]:
    tables = json.loads(_DATA.read_text())["tables"]
    return tuple(sorted(tables, key=lambda table: table["effective"]))


def cap(tier: str, mode: str, on: str) -> Cap:
    """The cap for ``tier`` and ``mode`` in force on the ISO date ``on``."""
    table = [t for t in _tables() if t["effective"] <= on[:10]][-1]
    return Cap(int(table[mode][tier]), table["basis"], table["effective"])


def effective_dates() -> list[str]:
    """The days a new table took effect (a price allowed today may not be on those days)."""
    return [table["effective"] for table in _tables()]


def audio_cap(kind: str | None, average_daily_population: int | None, on: str) -> Cap:
    """The per-minute cap on a facility's calls on ``on``; a facility whose size is not known
    yet is held to the large-jail tier, as its rules are (``rulebook.forbidden``)."""
    known = kind and average_daily_population is not None
    tier = size_tier(kind, int(average_daily_population)) if known else "large_jail"
    return cap(tier, "audio", on)
