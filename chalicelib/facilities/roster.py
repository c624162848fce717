"""Roster imports (docs/api.md "Operating a facility"): the full list of people held, validated whole,
applied as one new generation that readers see at once.

Readers ask ``held(inmate, facility)``: an inmate item lists the generations that admitted and
released it; only generations up to the facility's current one count, minus those of imports
that never finished.  An import writes only what changed (newcomers, returns, name or housing
changes, releases) tagged with its new generation, plus a manifest of who that generation holds,
then flips the facility's current generation in one conditional write: before the flip nobody
sees its changes, after it everybody does.  A lease (10 minutes) on the facility item allows one
import at a time.  Why: docs/decisions/facility-operations.md
"""
from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import unicodedata
from collections.abc import Callable
from typing import NamedTuple

from pynamodb.exceptions import UpdateError

from chalicelib.core import clock, lazy, secrets
from chalicelib.core.errors import Conflict, NotFound, Unprocessable
from chalicelib.core.i18n import _
from chalicelib.core.logs import log_event
from chalicelib.core.store import condition_failed, get_or_none
from chalicelib.facilities import store
from chalicelib.facilities.store import Facility, Inmate, RosterImport, RosterManifest

HEADER = ("inmate_number", "first_name", "last_name", "status", "housing_unit")
IN_CUSTODY, RELEASED = "in_custody", "released"
MAX_ROWS = 20_000
LOCK_SECONDS = 10 * 60
# Lines per manifest item: a line is at most ~1.1 KB (number, id, two names of 100 characters
# and a unit of 64, up to 4 UTF-8 bytes each), so a part stays under DynamoDB's 400 KB limit.
MANIFEST_PART = 300
NUMBER_PATTERN = r"^[A-Z0-9][A-Z0-9-]{0,31}$"  # compiled on first use (``re`` caches it)
APPLYING, APPLIED, FAILED = "applying", "applied", "failed"

# Called after a generation that releases people is swapped in: (facility_id, inmate_ids,
# import_id).  The release flow of calls and balances (a later issue) registers here.
_release_listeners: list[Callable[[str, list[str], str], None]] = []


def on_release(listener: Callable[[str, list[str], str], None]) -> None:
    _release_listeners.append(listener)


class RosterInvalid(Unprocessable):
    code = "roster_invalid"

    def __init__(self, errors: list[dict]) -> None:
        super().__init__(_("The roster was not imported: %(count)s problem(s), the first in row "
                           "%(row)s. Nothing was changed.", count=len(errors),
                           row=errors[0]["row"]), errors=errors[:100])


class MassReleaseSuspected(Unprocessable):
    code = "mass_release_suspected"

    def __init__(self, releases: int, held_now: int) -> None:
        super().__init__(_("This roster would release %(releases)s of the %(held)s people held. "
                           "If that is right, send it again with ?confirm_releases=%(releases)s.",
                           releases=releases, held=held_now), releases=releases, held=held_now)


class ImportInProgress(Conflict):
    code = "import_in_progress"

    def __init__(self) -> None:
        super().__init__(_("Another roster import is running for this facility. Try again when "
                           "it has finished (at most 10 minutes)."))


class Row(NamedTuple):
    inmate_number: str
    first_name: str
    last_name: str
    status: str
    housing_unit: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


# --- reading and validating ------------------------------------------------------------------

def rows_from_csv(text: str) -> list[dict]:
    """The CSV's data rows as dicts (the header line is not a row)."""
    try:
        lines = [line for line in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(line)]
    except csv.Error as error:  # a NUL byte, a field over the csv module's limit
        raise RosterInvalid([{"row": 0, "field": "file", "problem": _(
            "is not a CSV file this service can read (%(reason)s)", reason=str(error))}]) from None
    if not lines:
        raise RosterInvalid([{"row": 0, "field": "header", "problem": _("the file is empty")}])
    header = [name.strip().lower() for name in lines[0]]
    if sorted(header) != sorted(HEADER):
        raise RosterInvalid([{"row": 0, "field": "header", "problem": _(
            "the header must be %(header)s", header=",".join(HEADER))}])
    rows = []
    for number, values in enumerate(lines[1:], start=1):
        if len(values) != len(header):
            raise RosterInvalid([{"row": number, "field": "row", "problem": _(
                "has %(found)s fields; the header has %(expected)s", found=len(values),
                expected=len(header))}])
        rows.append(dict(zip(header, values, strict=True)))
    return rows


def _text_problem(value: str, max_length: int, required: bool = True) -> str | None:
    if required and not value:
        return _("is required")
    if len(value) > max_length:
        return _("must be at most %(n)s characters", n=max_length)
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in value):
        return _("must not contain control or formatting characters")
    if re.search(r"[a-z][a-z0-9+.-]*:/|www\.", value, re.IGNORECASE):
        return _("must not contain a web address")
    return None


def validated(raw_rows: list[dict]) -> list[Row]:
    """Every row checked; any problem refuses the whole roster (``roster_invalid``)."""
    if len(raw_rows) > MAX_ROWS:
        raise RosterInvalid([{"row": MAX_ROWS + 1, "field": "row", "problem": _(
            "a roster holds at most %(n)s people", n=MAX_ROWS)}])
    errors, rows, seen = [], [], {}
    for index, raw in enumerate(raw_rows, start=1):
        values = {name: str(raw.get(name) or "").strip() for name in HEADER}
        values["inmate_number"] = values["inmate_number"].upper()
        problems = {name: _text_problem(values[name], 100) for name in ("first_name", "last_name")}
        problems["housing_unit"] = _text_problem(values["housing_unit"], 64, required=False)
        if not re.match(NUMBER_PATTERN, values["inmate_number"]):
            problems["inmate_number"] = _("must be 1 to 32 letters, digits or hyphens")
        elif values["inmate_number"] in seen:
            problems["inmate_number"] = _("appears again (first in row %(row)s)",
                                          row=seen[values["inmate_number"]])
        if values["status"] not in (IN_CUSTODY, RELEASED):
            problems["status"] = _("must be in_custody or released")
        errors += [{"row": index, "field": field, "problem": problem}
                   for field, problem in problems.items() if problem]
        seen.setdefault(values["inmate_number"], index)
        rows.append(Row(**values))
    if errors:
        raise RosterInvalid(errors)
    return rows


# --- who is held -----------------------------------------------------------------------------

def held(inmate: Inmate, facility: Facility) -> bool:
    """Held in the facility's current generation (people from before rosters: until released)."""
    current = int(facility.roster_generation or 0)
    abandoned = set(facility.roster_abandoned or ())

    def counted(generations) -> list[int]:
        return [g for g in generations if g <= current and g not in abandoned]

    admitted = counted(inmate.admitted_in or {0})
    released = counted(inmate.released_in or ())
    return bool(admitted) and (not released or max(released) < max(admitted))


def _manifest_key(generation: int, part: int = 0) -> str:
    return f"{generation:010d}#{part:04d}"


def _line(row_id: str, row: Row) -> str:
    return "\t".join((row.inmate_number, row_id, row.first_name, row.last_name, row.housing_unit))


def held_now(facility: Facility) -> dict[str, tuple[str, str]]:
    """``{inmate_number: (inmate_id, manifest line)}`` of the current generation.  Generation 0
    (no import yet) is whoever was admitted before rosters: one Query of the facility's index."""
    current = int(facility.roster_generation or 0)
    found: dict[str, tuple[str, str]] = {}
    if current == 0:
        for inmate in Inmate.by_facility_number.query(facility.facility_id):
            if held(inmate, facility):
                found[inmate.inmate_number] = (inmate.inmate_id, "")
        return found
    for part in RosterManifest.query(facility.facility_id,
                                     RosterManifest.part.startswith(f"{current:010d}#"),
                                     consistent_read=True):
        for line in part.entries.split("\n"):
            number, inmate_id = line.split("\t", 2)[:2]
            found[number] = (inmate_id, line)
    return found


def new_inmate_id(facility_id: str, inmate_number: str) -> str:
    """The same person (facility, number) gets the same id whenever they come back."""
    digest = hashlib.sha256(f"{facility_id}\x00{inmate_number}".encode()).hexdigest()
    return f"inm_{digest[:24]}"


# --- importing -------------------------------------------------------------------------------

def import_roster(facility_id: str, raw_rows: list[dict], confirm_releases: int | None, by: str,
                  ids: dict[str, str] | None = None) -> dict:
    """Validate, guard against mass release, take the lease, apply, flip.  ``ids`` names the
    inmate ids of new numbers (only the demo seed, whose ids the demo relies on)."""
    rows = validated(raw_rows)
    facility = store.facility(facility_id, consistent=True)
    if facility is None:
        raise NotFound(_("No such facility."))
    now = clock.now()
    if facility.roster_lock_until is not None and facility.roster_lock_until > now:
        raise ImportInProgress()
    current = held_now(facility)
    listed = {row.inmate_number: row for row in rows if row.status == IN_CUSTODY}
    leaving = sorted(number for number in current if number not in listed)
    if current and len(leaving) * 10 > len(current) and confirm_releases != len(leaving):
        raise MassReleaseSuspected(len(leaving), len(current))
    import_id = secrets.new_id("imp_")
    generation = _take_lease(facility, import_id, now)
    record = RosterImport(import_id, facility_id=facility_id, generation=generation,
                          status=APPLYING, created_at=clock.iso(), created_by=by)
    record.save()
    try:
        counts, released_ids = _apply(facility_id, generation, listed, current, leaving, ids or {})
        _flip(facility_id, import_id, generation)
    except Exception:
        _give_up(facility_id, import_id, generation, record)
        raise
    counts["rows"] = len(rows)
    record.update(actions=[RosterImport.status.set(APPLIED), RosterImport.counts.set(counts),
                           RosterImport.finished_at.set(clock.iso())])
    log_event("roster_imported", facility_id=facility_id, import_id=import_id,
              generation=generation, by=by, **counts)
    _forget_manifests_before(facility_id, generation)
    if released_ids:
        _released(facility_id, released_ids, import_id)
    return {"import_id": import_id}


def _missing_or(attribute, value):
    """``attribute = value``, where an item from before the attribute existed counts as 0."""
    return attribute.does_not_exist() | (attribute == value) if value == 0 else attribute == value


def _take_lease(facility: Facility, import_id: str, now: float) -> int:
    """The lease and a new generation number, in one conditional write: refused while another
    import holds a live lease, or if another import finished since ``facility`` was read."""
    generation = max(int(facility.roster_next_generation or 0),
                     int(facility.roster_generation or 0)) + 1
    actions = [Facility.roster_lock_import_id.set(import_id),
               Facility.roster_lock_until.set(int(now) + LOCK_SECONDS),
               Facility.roster_lock_generation.set(generation),
               Facility.roster_next_generation.set(generation)]
    if facility.roster_lock_generation is not None:  # a lapsed lease: its import never finished
        actions.append(Facility.roster_abandoned.add({int(facility.roster_lock_generation)}))
    condition = ((Facility.roster_lock_until.does_not_exist()
                  | (Facility.roster_lock_until <= int(now)))
                 & _missing_or(Facility.roster_generation, int(facility.roster_generation or 0))
                 & _missing_or(Facility.roster_next_generation,
                               int(facility.roster_next_generation or 0)))
    try:
        Facility(facility.facility_id).update(actions=actions, condition=condition)
    except UpdateError as error:
        if condition_failed(error):
            raise ImportInProgress() from None
        raise
    return generation


def _apply(facility_id: str, generation: int, listed: dict[str, Row],
           current: dict[str, tuple[str, str]], leaving: list[str],
           ids: dict[str, str]) -> tuple[dict, list[str]]:
    """Write what changed, tagged with ``generation``, and its manifest (nothing is visible yet)."""
    arriving = {number: ids.get(number) or new_inmate_id(facility_id, number)
                for number in listed if number not in current}
    known = {inmate.inmate_id: inmate
             for inmate in Inmate.batch_get(list(arriving.values()), consistent_read=True)}
    counts = {"admitted": 0, "returned": 0, "updated": 0, "unchanged": 0}
    lines = []
    with Inmate.batch_write() as batch:
        for number, row in listed.items():
            if number in arriving:
                inmate_id = arriving[number]
                if inmate_id in known:
                    _update(known[inmate_id], row, Inmate.admitted_in.add({generation}))
                    counts["returned"] += 1
                else:
                    batch.save(Inmate(inmate_id, facility_id=facility_id, inmate_number=number,
                                      full_name=row.full_name, search_key=_search_key(row),
                                      housing_unit=row.housing_unit or None,
                                      admitted_in={generation}))
                    counts["admitted"] += 1
            else:
                inmate_id, line = current[number]
                if line != _line(inmate_id, row):
                    _update(Inmate(inmate_id), row)
                    counts["updated"] += 1
                else:
                    counts["unchanged"] += 1
            lines.append(_line(inmate_id, row))
    released_ids = [current[number][0] for number in leaving]
    for inmate_id in released_ids:
        Inmate(inmate_id).update(actions=[Inmate.released_in.add({generation})])
    counts["released"] = len(released_ids)
    counts["held"] = len(lines)
    with RosterManifest.batch_write() as batch:
        for part, start in enumerate(range(0, len(lines), MANIFEST_PART)):
            batch.save(RosterManifest(facility_id, _manifest_key(generation, part),
                                      entries="\n".join(lines[start:start + MANIFEST_PART])))
    return counts, released_ids


def _update(inmate: Inmate, row: Row, *extra) -> None:
    inmate.update(actions=[Inmate.full_name.set(row.full_name),
                           Inmate.search_key.set(_search_key(row)),
                           (Inmate.housing_unit.set(row.housing_unit) if row.housing_unit
                            else Inmate.housing_unit.remove()), *extra])


def _search_key(row: Row) -> str:
    return f"{row.last_name} {row.first_name}".strip().lower()


def _flip(facility_id: str, import_id: str, generation: int) -> None:
    """Swap the generation in and end the lease: refused if the lease lapsed and another import
    took over (then this one failed)."""
    try:
        Facility(facility_id).update(
            actions=[Facility.roster_generation.set(generation),
                     Facility.roster_lock_import_id.remove(), Facility.roster_lock_until.remove(),
                     Facility.roster_lock_generation.remove()],
            condition=Facility.roster_lock_import_id == import_id)
    except UpdateError as error:
        if condition_failed(error):
            raise ImportInProgress() from None
        raise


def _give_up(facility_id: str, import_id: str, generation: int, record: RosterImport) -> None:
    """The import failed before its flip: its generation is abandoned and the lease ends."""
    log_event("roster_import_failed", logging.ERROR, facility_id=facility_id, import_id=import_id)
    try:
        Facility(facility_id).update(
            actions=[Facility.roster_abandoned.add({generation}),
                     Facility.roster_lock_import_id.remove(), Facility.roster_lock_until.remove(),
                     Facility.roster_lock_generation.remove()],
            condition=Facility.roster_lock_import_id == import_id)
    except UpdateError as error:
        if not condition_failed(error):
            log_event("roster_lease_not_released", logging.ERROR, import_id=import_id)
    record.update(actions=[RosterImport.status.set(FAILED),
                           RosterImport.finished_at.set(clock.iso())])


def _forget_manifests_before(facility_id: str, generation: int) -> None:
    old = RosterManifest.query(facility_id, RosterManifest.part < _manifest_key(generation))
    with RosterManifest.batch_write() as batch:
        for part in old:
            batch.delete(part)


def _released(facility_id: str, inmate_ids: list[str], import_id: str) -> None:
    log_event("inmates_released", facility_id=facility_id, import_id=import_id,
              count=len(inmate_ids))
    lazy.load_registrations("release")
    for listener in _release_listeners:
        listener(facility_id, inmate_ids, import_id)


def import_status(facility_id: str, import_id: str) -> dict:
    record = get_or_none(RosterImport, import_id)
    if record is None or record.facility_id != facility_id:
        raise NotFound(_("No such roster import."), code="import_not_found")
    return {"import_id": record.import_id, "facility_id": record.facility_id,
            "status": record.status, "generation": int(record.generation),
            "counts": {key: int(value) for key, value in record.counts.as_dict().items()},
            "created_at": record.created_at, "finished_at": record.finished_at}
