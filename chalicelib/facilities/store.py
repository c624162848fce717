"""DynamoDB tables of facilities and inmates."""
from __future__ import annotations

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.core.store import BaseMeta, TableName, register


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


class InmatesByFacility(GlobalSecondaryIndex):
    """Search within a facility by the lower-cased name or the inmate number (prefix)."""

    class Meta:
        index_name = "by_facility_search"
        projection = AllProjection()

    facility_id = UnicodeAttribute(hash_key=True)
    search_key = UnicodeAttribute(range_key=True)


class InmatesByNumber(GlobalSecondaryIndex):
    """Exact look-up of an inmate number within a facility (kiosk sign-in)."""

    class Meta:
        index_name = "by_facility_number"
        projection = KeysOnlyProjection()

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
    by_facility_search = InmatesByFacility()
    by_facility_number = InmatesByNumber()


def facility(facility_id: str) -> Facility | None:
    try:
        return Facility.get(facility_id)
    except DoesNotExist:
        return None


def inmate(inmate_id: str) -> Inmate | None:
    try:
        return Inmate.get(inmate_id)
    except DoesNotExist:
        return None
