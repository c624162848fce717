"""Facilities hold nothing about a family account: facilities and their rules stamps, their
roster of inmates, kiosks, call platforms' keys and roster imports (which name only the staff
who made them).
Declared so the registry covers every table (docs/decisions/data-rights.md)."""
from __future__ import annotations

from chalicelib.core import datarights
from chalicelib.core.datarights import Holding
from chalicelib.facilities.store import (Facility, Inmate, Kiosk, PlatformKey, RosterImport,
                                         RosterManifest, RulesStamp)


def _nothing(account_id: str) -> dict[str, list[dict]]:
    return {}


def _nothing_to_erase(account_id: str) -> None:
    return None


datarights.register(Holding(
    capability="facilities",
    models=(Facility, Inmate, Kiosk, PlatformKey, RosterManifest, RosterImport, RulesStamp),
    export=_nothing, erase=_nothing_to_erase))
