"""DynamoDB tables of facilities, inmates, kiosks, roster imports and call platform keys.
Every list is a Query on an index.  Rules live on the facility item only (``rules``, with
``rules_version`` bumped by each change); readers read the facility, and payments check a
striped copy of the version (``RulesStamp``).  Who is held is decided by
the facility's current roster generation (``roster.py``).
Why: docs/decisions/tables.md, docs/decisions/facility-operations.md
"""
from __future__ import annotations

from pynamodb.attributes import (BooleanAttribute, MapAttribute, NumberAttribute,
                                 NumberSetAttribute, UnicodeAttribute)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.core.store import (MONEY_STRIPES, BaseMeta, StoredModel, TableName, get_or_none,
                                   register, stripe_of)

LISTED, UNLISTED = "listed", "unlisted"
# The states, district and territories a facility may be in, in the order the public directory
# walks them (issue 13, finding 6: one partition per state, never one for the whole country).
US_STATES = ("AK", "AL", "AR", "AS", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "GU", "HI",
             "IA", "ID", "IL", "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MP",
             "MS", "MT", "NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA",
             "PR", "RI", "SC", "SD", "TN", "TX", "UT", "VA", "VI", "VT", "WA", "WI", "WV", "WY")


class FacilityDirectory(GlobalSecondaryIndex):
    """Sparse: the listed facilities of each state, by name."""

    class Meta:
        index_name = "directory_by_state"
        projection = AllProjection()

    directory_state = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(range_key=True)


@register
class Facility(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("facilities")

    facility_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    state = UnicodeAttribute()
    timezone = UnicodeAttribute(null=True)  # IANA zone
    kind = UnicodeAttribute(null=True)  # jail | prison (caps.KINDS)
    average_daily_population = NumberAttribute(null=True)
    # Written with ``rules`` (the FacilityRules document) in the same update; None until then.
    stamp_price_cents = NumberAttribute(null=True)
    # The FacilityRules document (rulebook.py); each capability reads its own part.
    rules = MapAttribute(default=dict)
    rules_version = NumberAttribute(default=0)  # bumped by every rules change
    # Listed in the public directory once it has rules (``UNLISTED`` until then); a listed
    # facility carries its state in ``directory_state``, the sparse directory's key.
    directory = UnicodeAttribute(default=LISTED)
    directory_state = UnicodeAttribute(null=True)
    by_directory = FacilityDirectory()
    # The roster (roster.py): the generation readers see, the counter new imports draw from,
    # the running import's lease, and generations of imports that never finished.
    roster_generation = NumberAttribute(default=0)
    roster_next_generation = NumberAttribute(default=0)
    roster_lock_import_id = UnicodeAttribute(null=True)
    roster_lock_until = NumberAttribute(null=True)  # epoch seconds
    roster_lock_generation = NumberAttribute(null=True)
    roster_abandoned = NumberSetAttribute(null=True)

    def serialize(self, *args, **kwargs):
        """Every whole-item write keeps the directory key in step with ``directory``."""
        self.directory_state = self.state if self.directory == LISTED else None
        return super().serialize(*args, **kwargs)


@register
class RulesStamp(StoredModel):
    """One of ``MONEY_STRIPES`` copies of a facility's ``rules_version``, written in the same
    transaction as every rules change.  A payment checks the copy of its own stripe, not the
    facility item: with one item, every payment of a facility locked it, and 4 payments a second
    conflicted 8% of the time (bench/bench_conflicts.py)."""

    class Meta(BaseMeta):
        table_name = TableName("facility-rules-stamps")

    stamp_key = UnicodeAttribute(hash_key=True)  # "<facility id>#<stripe>"
    rules_version = NumberAttribute()


def rules_stamp_key(facility_id: str, stripe: int) -> str:
    return f"{facility_id}#{stripe:02d}"


def rules_stamp_of(facility_id: str, journal_id: str) -> str:
    """The stamp a payment checks: the stripe of its journal, as its house accounts'."""
    return rules_stamp_key(facility_id, stripe_of(journal_id, MONEY_STRIPES))


class InmatesByFacility(GlobalSecondaryIndex):
    """Search within a facility by the lower-cased name ("last first"), by prefix."""

    class Meta:
        index_name = "by_facility_search"
        projection = AllProjection()

    facility_id = UnicodeAttribute(hash_key=True)
    search_key = UnicodeAttribute(range_key=True)


class InmatesByNumber(GlobalSecondaryIndex):
    """Search within a facility by inmate number (upper-cased), by prefix; kiosk sign-in too."""

    class Meta:
        index_name = "by_facility_number"
        projection = AllProjection()

    facility_id = UnicodeAttribute(hash_key=True)
    inmate_number = UnicodeAttribute(range_key=True)


@register
class Inmate(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("inmates")

    inmate_id = UnicodeAttribute(hash_key=True)
    facility_id = UnicodeAttribute()
    inmate_number = UnicodeAttribute()
    full_name = UnicodeAttribute()
    search_key = UnicodeAttribute()  # "<last name, first name lower-cased>"
    pin_hash = UnicodeAttribute(null=True)  # kiosk sign-in
    # A one-time PIN issued by staff: the next sign-in only lets the inmate choose a new one.
    pin_change_required = BooleanAttribute(default=False)
    # Bumped to end every kiosk session of the inmate at once (staff revoke, PIN reset).
    session_epoch = NumberAttribute(default=0)
    housing_unit = UnicodeAttribute(null=True)
    # Roster generations that admitted / released the person (roster.held); both empty on
    # people admitted before rosters existed, who count as held.
    admitted_in = NumberSetAttribute(null=True)
    released_in = NumberSetAttribute(null=True)
    by_facility_search = InmatesByFacility()
    by_facility_number = InmatesByNumber()


class KiosksByFacility(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_facility"
        projection = AllProjection()

    facility_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


@register
class Kiosk(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("kiosks")

    kiosk_id = UnicodeAttribute(hash_key=True)
    facility_id = UnicodeAttribute()
    label = UnicodeAttribute()
    key_digest = UnicodeAttribute()
    created_at = UnicodeAttribute()  # precise ISO time: orders the listing
    created_by = UnicodeAttribute()
    revoked_at = UnicodeAttribute(null=True)
    revoked_by = UnicodeAttribute(null=True)
    by_facility = KiosksByFacility()


class PlatformKeysByFacility(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_facility"
        projection = AllProjection()

    facility_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


@register
class PlatformKey(StoredModel):
    """A call platform's key (api.md "Calls"): like a kiosk's, stored as a digest only."""

    class Meta(BaseMeta):
        table_name = TableName("platform-keys")

    key_id = UnicodeAttribute(hash_key=True)
    facility_id = UnicodeAttribute()
    label = UnicodeAttribute()
    key_digest = UnicodeAttribute()
    created_at = UnicodeAttribute()  # precise ISO time: orders the listing
    created_by = UnicodeAttribute()
    revoked_at = UnicodeAttribute(null=True)
    revoked_by = UnicodeAttribute(null=True)
    by_facility = PlatformKeysByFacility()


@register
class RosterManifest(StoredModel):
    """Who a roster generation holds: one line per person (number, id, names, housing unit,
    tab-separated; names hold no control characters), in parts of ``roster.MANIFEST_PART``
    lines (an item holds at most 400 KB)."""

    class Meta(BaseMeta):
        table_name = TableName("roster-manifests")

    facility_id = UnicodeAttribute(hash_key=True)
    part = UnicodeAttribute(range_key=True)  # "<generation, 10 digits>#<part, 4 digits>"
    entries = UnicodeAttribute()  # newline-separated lines


@register
class RosterImport(StoredModel):
    """One roster import: status ``applying`` → ``applied`` | ``failed``, with its counts."""

    class Meta(BaseMeta):
        table_name = TableName("roster-imports")

    import_id = UnicodeAttribute(hash_key=True)
    facility_id = UnicodeAttribute()
    generation = NumberAttribute()
    status = UnicodeAttribute()
    counts = MapAttribute(default=dict)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)


def facility(facility_id: str, consistent: bool = False) -> Facility | None:
    return get_or_none(Facility, facility_id, consistent=consistent)


def inmate(inmate_id: str, consistent: bool = False) -> Inmate | None:
    return get_or_none(Inmate, inmate_id, consistent=consistent)


def kiosk(kiosk_id: str) -> Kiosk | None:
    return get_or_none(Kiosk, kiosk_id)


def platform_key(key_id: str) -> PlatformKey | None:
    return get_or_none(PlatformKey, key_id)


def platform_keys_of(facility_id: str, limit: int, cursor: dict | None):
    return PlatformKey.by_facility.query(facility_id, scan_index_forward=False, limit=limit,
                                         last_evaluated_key=cursor)


def kiosks_of(facility_id: str, limit: int, cursor: dict | None):
    return Kiosk.by_facility.query(facility_id, scan_index_forward=False, limit=limit,
                                   last_evaluated_key=cursor)


def listed_in(state: str, limit: int, cursor: dict | None):
    return Facility.by_directory.query(state, limit=limit, last_evaluated_key=cursor)


def inmates_by_name(facility_id: str, prefix: str, limit: int, cursor: dict | None):
    condition = Inmate.search_key.startswith(prefix) if prefix else None
    return Inmate.by_facility_search.query(facility_id, condition, limit=limit,
                                           last_evaluated_key=cursor)


def inmates_by_number(facility_id: str, prefix: str, limit: int, cursor: dict | None):
    return Inmate.by_facility_number.query(facility_id, Inmate.inmate_number.startswith(prefix),
                                           limit=limit, last_evaluated_key=cursor)


def inmate_by_number(facility_id: str, inmate_number: str,
                     consistent: bool = True) -> Inmate | None:
    """The index gives the key; the item is then read consistently so a new PIN counts at once
    (``consistent=False``: the index's copy, one read, for callers that need no PIN)."""
    for key_only in Inmate.by_facility_number.query(facility_id,
                                                     Inmate.inmate_number == inmate_number,
                                                     limit=1):
        return inmate(key_only.inmate_id, consistent=True) if consistent else key_only
    return None
