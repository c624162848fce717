"""When a ticket must be answered: a per-category target in business days (Monday to Friday)
counted in the facility's time zone, so a Friday-evening question in Chicago is due Monday
evening in Chicago, whatever UTC says.  A ticket raised on a weekend counts from the start of
Monday.  Targets are stage settings (``SUPPORT_TARGET_DAYS``, ``category=days,...``)."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.config import ConfigurationError, get_settings
from chalicelib.support.states import CATEGORIES

DEFAULT_DAYS = 1
SATURDAY = 5


def target_days(category: str) -> int:
    """The category's target; ``DEFAULT_DAYS`` unless the stage names another."""
    raw = get_settings().support_target_days
    targets = {}
    for part in filter(None, (item.strip() for item in raw.split(","))):
        name, _, days = part.partition("=")
        if name not in CATEGORIES or not days.isdigit() or int(days) < 1:
            raise ConfigurationError(f"SUPPORT_TARGET_DAYS: {part!r} is not <category>=<days>")
        targets[name] = int(days)
    return targets.get(category, DEFAULT_DAYS)


def respond_by(created: float, days: int, time_zone: str | None) -> float:
    """``days`` business days after ``created`` (epoch seconds), on the local wall clock."""
    zone = ZoneInfo(time_zone or "UTC")
    local = datetime.fromtimestamp(created, tz=UTC).astimezone(zone).replace(tzinfo=None)
    while local.weekday() >= SATURDAY:  # a weekend question counts from Monday's start
        local = datetime.combine(local.date() + timedelta(days=1), time())
    while days:
        local += timedelta(days=1)
        if local.weekday() < SATURDAY:
            days -= 1
    return local.replace(tzinfo=zone).timestamp()
