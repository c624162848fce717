"""Slots, computed from the facility's weekly templates (no table of future slots): a template
(weekday, start, end, slot minutes, capacity) in the facility's local time gives that day's
slots, converted to UTC with the zone's rules of that very day, so a slot at 09:00 stays at
09:00 local across a daylight-saving change.  A local time the change skips is no slot; a
repeated one is its first occurrence.  The slot id names facility, mode and UTC start, and is
checked against the templates in force whenever it is used.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from chalicelib.facilities import VisitMode

STAMP = "%Y%m%dT%H%MZ"


class Slot(NamedTuple):
    slot_id: str
    facility_id: str
    mode: str
    starts: int  # epoch seconds
    ends: int
    capacity: int
    local_date: date

    @property
    def minutes(self) -> int:
        return (self.ends - self.starts) // 60


def make_id(facility_id: str, mode: str, starts: int) -> str:
    return f"{facility_id}.{mode}.{datetime.fromtimestamp(starts, UTC).strftime(STAMP)}"


def parse_id(slot_id: str) -> tuple[str, str, int] | None:
    """(facility id, mode, UTC start) of a well-formed id, else None."""
    parts = slot_id.rsplit(".", 2)
    if len(parts) != 3:
        return None
    try:
        starts = datetime.strptime(parts[2], STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None
    return parts[0], parts[1], int(starts.timestamp())


def zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name or "UTC")


def local_date(epoch: float, tz: ZoneInfo) -> date:
    return datetime.fromtimestamp(epoch, tz).date()


def week_start(day: date) -> date:
    """The Monday of ``day``'s week (allowances count Monday to Sunday, local)."""
    return day - timedelta(days=day.weekday())


def _utc(day: date, minute: int, tz: ZoneInfo) -> int | None:
    local = datetime.combine(day, time(minute // 60, minute % 60), tz)
    # A time the clocks skip does not round-trip: no slot then.
    back = datetime.fromtimestamp(local.timestamp(), tz)
    return int(local.timestamp()) if back.replace(tzinfo=None) == local.replace(tzinfo=None) \
        else None


def slots_between(policy: VisitMode, facility_id: str, tz: ZoneInfo, first: date,
                  last: date) -> list[Slot]:
    """Every slot of ``policy`` on the local days ``first`` through ``last``, in time order."""
    found = []
    day = first
    while day <= last:
        if day.isoformat() not in policy.blackout_dates:
            for template in policy.templates:
                if template.weekday != day.weekday():
                    continue
                start = template.start_minute
                while start + template.slot_minutes <= template.end_minute:
                    begins = _utc(day, start, tz)
                    ends = _utc(day, start + template.slot_minutes, tz)
                    if begins is not None and ends is not None:
                        found.append(Slot(make_id(facility_id, policy.mode, begins), facility_id,
                                          policy.mode, begins, ends, template.capacity, day))
                    start += template.slot_minutes
        day += timedelta(days=1)
    return sorted(set(found), key=lambda slot: slot.starts)


def slot_at(policy: VisitMode, facility_id: str, tz: ZoneInfo, starts: int) -> Slot | None:
    """The slot starting at ``starts`` under the templates in force, or None."""
    day = local_date(starts, tz)
    return next((slot for slot in slots_between(policy, facility_id, tz, day, day)
                 if slot.starts == starts), None)


def window(policy: VisitMode, now: float) -> tuple[float, float]:
    """The earliest and latest start a booking made ``now`` may have."""
    return (now + policy.minimum_notice_hours * 3600,
            now + policy.maximum_notice_days * 86400)
