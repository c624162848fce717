"""Rating (api.md "Calls", FCC 24-75 and 25-75): per second at the per-minute rate, rounded down
to the cent; the rate never above the cap for the facility's tier on the call's date (dated data,
``facilities`` keeps it); no per-call or connection charge; a call dropped by the system or the
network in its first 60 seconds costs nothing, once (a continuation gets no second free minute).
Pure functions: the property tests drive them directly.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

FREE_DROP_SECONDS = 60
CONTINUE_WITHIN_SECONDS = 5 * 60


def effective_rate(rule_rate: int, cap_cents: int) -> int:
    """The facility's rate, never above the legal cap (a rule put before a lower cap took
    effect is charged at the cap)."""
    return max(0, min(rule_rate, cap_cents))


def charge_cents(seconds: int, rate_cents_per_minute: int) -> int:
    """Per second at the per-minute rate, rounded down to the cent."""
    return max(0, seconds) * rate_cents_per_minute // 60


def covered_seconds(balance_cents: int, rate_cents_per_minute: int) -> int:
    """The most seconds ``balance_cents`` pays for: the largest s with charge(s) <= balance."""
    if rate_cents_per_minute <= 0:
        raise ValueError("a free call is limited by its length only")
    return (60 * (balance_cents + 1) - 1) // rate_cents_per_minute


def max_seconds(limit_seconds: int, balance_cents: int | None, rate_cents_per_minute: int) -> int:
    """The smaller of the facility's length limit and what the balance covers (``None``: the
    payer is not held, the agency or a free call)."""
    if balance_cents is None or rate_cents_per_minute == 0:
        return limit_seconds
    return min(limit_seconds, covered_seconds(balance_cents, rate_cents_per_minute))


def seconds_until_closing(hours: dict | None, time_zone: str | None, now: float) -> int | None:
    """The facility's calling hours (``call_hours``, local clock times; closing before opening
    spans midnight) at ``now``: None when it sets none, 0 outside them, else the seconds left
    until they close, so that a call never runs past closing."""
    if not hours:
        return None
    local = datetime.fromtimestamp(now, ZoneInfo(time_zone or "UTC"))
    minute = local.hour * 60 + local.minute + local.second / 60
    opens, closes = (_minute_of_day(hours[end]) for end in ("opens", "closes"))
    open_minutes = (closes - opens) % 1440
    since_opening = (minute - opens) % 1440
    return 0 if since_opening >= open_minutes else int((open_minutes - since_opening) * 60)


def _minute_of_day(clock_time: str) -> int:
    hours, minutes = clock_time.split(":")
    return int(hours) * 60 + int(minutes)


def billed(connected_seconds: int, max_allowed: int, end_cause: str, drop_is_free: bool,
           rate_cents_per_minute: int) -> tuple[int, int]:
    """(billed seconds, charge) of an ended call."""
    seconds = max(0, min(connected_seconds, max_allowed))
    if drop_is_free and end_cause in ("system", "network") and seconds < FREE_DROP_SECONDS:
        return seconds, 0
    return seconds, charge_cents(seconds, rate_cents_per_minute)
