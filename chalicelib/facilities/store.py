"""DynamoDB tables of facilities, inmates, kiosks and call platform keys.
Every list is a Query on an index.  Each inmate carries ``facility_rules``, a copy of its
facility's rules, so a deposit quote costs one read and agrees with the deposit (changing a
facility's rules must rewrite the copies; no endpoint does that yet).
Why: docs/decisions/tables.md
"""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.store import BaseMeta, TableName, get_or_none, register

LISTED = "listed"


class FacilityDirectory(GlobalSecondaryIndex):
    """All listed facilities, by name."""

    class Meta:
        index_name = "directory"
        projection = AllProjection()

    directory = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(range_key=True)


@register
class Facility(Model):
    class Meta(BaseMeta):
        table_name = TableName("facilities")

    facility_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    state = UnicodeAttribute()
    stamp_price_cents = NumberAttribute()
    # Rules the facility publishes (deposit limits, fee tiers, review settings); each
    # capability reads its own part.
    rules = MapAttribute(default=dict)
    directory = UnicodeAttribute(default=LISTED)
    by_directory = FacilityDirectory()


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
class Inmate(Model):
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
    # Copy of the facility's rules (see the module docstring); None on inmates admitted by code
    # that did not copy them, in which case readers fall back to the facility item.
    facility_rules = MapAttribute(null=True)
    by_facility_search = InmatesByFacility()
    by_facility_number = InmatesByNumber()


class KiosksByFacility(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_facility"
        projection = AllProjection()

    facility_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


@register
class Kiosk(Model):
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
class PlatformKey(Model):
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


def facility(facility_id: str) -> Facility | None:
    return get_or_none(Facility, facility_id, consistent=False)


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


def listed_facilities(limit: int, cursor: dict | None):
    return Facility.by_directory.query(LISTED, limit=limit, last_evaluated_key=cursor)


def inmates_by_name(facility_id: str, prefix: str, limit: int, cursor: dict | None):
    condition = Inmate.search_key.startswith(prefix) if prefix else None
    return Inmate.by_facility_search.query(facility_id, condition, limit=limit,
                                           last_evaluated_key=cursor)


def inmates_by_number(facility_id: str, prefix: str, limit: int, cursor: dict | None):
    return Inmate.by_facility_number.query(facility_id, Inmate.inmate_number.startswith(prefix),
                                           limit=limit, last_evaluated_key=cursor)


def inmate_by_number(facility_id: str, inmate_number: str) -> Inmate | None:
    """The index gives the key; the item is then read consistently so a new PIN counts at once."""
    for key_only in Inmate.by_facility_number.query(facility_id,
                                                     Inmate.inmate_number == inmate_number,
                                                     limit=1):
        return inmate(key_only.inmate_id, consistent=True)
    return None
