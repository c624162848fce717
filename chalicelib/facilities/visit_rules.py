"""The visit policy of a facility's rules document (docs/api.md "Visits"): per mode (``onsite``,
``video``) weekly session templates in the facility's local time, notice window, visitors,
weekly allowance, staff approval, blackout dates and the video price per minute.  Fields left
out take the contract's defaults when read (``visit_mode``), so the stored document stays what
the admin sent.  The video price is checked against the legal cap on every day a visit could be
booked for, not only today (caps are dated data: a visit in three weeks pays that day's cap).
Why: docs/decisions/visits.md
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from chalicelib.core.i18n import N_, _
from chalicelib.facilities import caps

VISIT_MODES = MODES = ("onsite", "video")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DATE = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
QUARTER_HOUR = r"^([01][0-9]|2[0-3]):(00|15|30|45)$"
# The contract's defaults per mode (api.md "Visits").
DEFAULTS = {
    "onsite": {"minimum_notice_hours": 48, "maximum_notice_days": 28, "visitors_per_visit": 3,
               "weekly_allowance": 2, "staff_approval": True, "price_cents_per_minute": 0},
    "video": {"minimum_notice_hours": 24, "maximum_notice_days": 14, "visitors_per_visit": 4,
              "weekly_allowance": 2, "staff_approval": False, "price_cents_per_minute": 0},
}
MAX_VISITORS = {"onsite": 3, "video": 4}

TEMPLATE = {
    "type": "object", "additionalProperties": False,
    "required": ["weekday", "start", "end", "slot_minutes", "capacity"],
    "properties": {
        "weekday": {"type": "string", "enum": list(WEEKDAYS)},
        "start": {"type": "string", "pattern": QUARTER_HOUR,
                  "x-pattern-problem": N_("must be a local time on the quarter hour, HH:MM")},
        "end": {"type": "string", "pattern": QUARTER_HOUR,
                "x-pattern-problem": N_("must be a local time on the quarter hour, HH:MM")},
        "slot_minutes": {"type": "integer", "minimum": 15, "maximum": 240,
                         "description": "A multiple of 15."},
        "capacity": {"type": "integer", "minimum": 1, "maximum": 200,
                     "description": "Tables (onsite) or stations (video) in use at once."},
    },
}


def _mode_schema(mode: str) -> dict:
    return {
        "type": "object", "additionalProperties": False,
        "description": f"The {mode} visit rules; fields left out take the contract's defaults.",
        "properties": {
            "templates": {"type": "array", "maxItems": 100, "items": TEMPLATE},
            "minimum_notice_hours": {"type": "integer", "minimum": 0, "maximum": 24 * 28},
            "maximum_notice_days": {"type": "integer", "minimum": 1, "maximum": 90},
            "visitors_per_visit": {"type": "integer", "minimum": 1, "maximum": MAX_VISITORS[mode]},
            "weekly_allowance": {"type": "integer", "minimum": 1, "maximum": 50},
            "staff_approval": {"type": "boolean"},
            "blackout_dates": {"type": "array", "maxItems": 400,
                               "items": {"type": "string", "pattern": DATE,
                                         "x-pattern-problem": N_("must be a date, YYYY-MM-DD")}},
            "price_cents_per_minute": {"type": "integer", "minimum": 0, "maximum": 10_000},
        },
    }


VISIT_POLICY = {"type": "object", "additionalProperties": False,
                "description": "Visit rules per mode (onsite, video); a mode without templates "
                               "offers no visits.",
                "properties": {mode: _mode_schema(mode) for mode in MODES}}


class Template(NamedTuple):
    weekday: int  # Monday 0
    start_minute: int  # minutes after local midnight
    end_minute: int
    slot_minutes: int
    capacity: int


class VisitMode(NamedTuple):
    mode: str
    templates: tuple[Template, ...]
    minimum_notice_hours: int
    maximum_notice_days: int
    visitors_per_visit: int
    weekly_allowance: int
    staff_approval: bool
    blackout_dates: frozenset[str]
    price_cents_per_minute: int


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def visit_mode(rules: dict, mode: str) -> VisitMode:
    """The ``mode`` part of a rules document with its defaults filled in."""
    given = ((rules or {}).get("visit_policy") or {}).get(mode) or {}
    values = {**DEFAULTS[mode], **given}
    templates = tuple(Template(WEEKDAYS.index(t["weekday"]), _minutes(t["start"]),
                               _minutes(t["end"]), int(t["slot_minutes"]), int(t["capacity"]))
                      for t in values.get("templates", ()))
    return VisitMode(mode, templates, int(values["minimum_notice_hours"]),
                     int(values["maximum_notice_days"]), int(values["visitors_per_visit"]),
                     int(values["weekly_allowance"]), bool(values["staff_approval"]),
                     frozenset(values.get("blackout_dates", ())),
                     int(values["price_cents_per_minute"]))


def published(rules: dict, mode: str) -> dict:
    """The ``mode`` rules as the public reads them: every field, defaults filled in."""
    given = ((rules or {}).get("visit_policy") or {}).get(mode) or {}
    return {**DEFAULTS[mode], "templates": [], "blackout_dates": [], **given}


def problems(document: dict) -> list[dict]:
    """Shapes the schema cannot say: a template ends after it starts and holds one slot."""
    found = []
    for mode in MODES:
        given = ((document.get("visit_policy") or {}).get(mode) or {})
        for index, template in enumerate(given.get("templates", ())):
            if template["slot_minutes"] % 15:
                found.append({"field": f"visit_policy.{mode}.templates[{index}].slot_minutes",
                              "problem": _("must be a multiple of 15")})
            length = _minutes(template["end"]) - _minutes(template["start"])
            if length < template["slot_minutes"]:
                found.append({"field": f"visit_policy.{mode}.templates[{index}].end",
                              "problem": _("must leave room for one slot after start")})
    return found


def video_cap(tier: str, on: str) -> caps.Cap:
    """The legal video cap for ``tier`` on the ISO date ``on`` (the visit's date)."""
    return caps.cap(tier, "video", on)


def lowest_video_cap(tier: str, today: str, days: int) -> caps.Cap:
    """The lowest cap in force on any day from ``today`` through ``days`` later: a price is
    allowed only if every bookable day allows it."""
    first = date.fromisoformat(today[:10])
    changes = {first} | {date.fromisoformat(effective) for effective in caps.effective_dates()
                         if first < date.fromisoformat(effective) <= first + timedelta(days=days)}
    return min((video_cap(tier, day.isoformat()) for day in changes),
               key=lambda cap: cap.cents_per_minute)


def facility_video_cap(kind: str | None, population: int | None, on: str) -> caps.Cap:
    """The video cap of a facility (by its kind and population) on the ISO date ``on``; a
    facility not yet sized counts as a large jail, as the rules check does."""
    tier = caps.size_tier(kind, population) if kind and population is not None else "large_jail"
    return video_cap(tier, on)
