"""Tables of calls: one item per authorised call (its hold, then its end and charge), and the
last drop per (inmate, number), which a call placed again within 5 minutes continues.
Why: docs/decisions/calls.md
"""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.core.store import BaseMeta, StoredModel, TableName, get_or_none, register


class CallsByAccount(GlobalSecondaryIndex):
    """The calls to a family's numbers, newest first (``GET /v1/calls``, statements)."""

    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    authorized_at = UnicodeAttribute(range_key=True)


class OpenCalls(GlobalSecondaryIndex):
    """Sparse, keys only: calls still holding money, by the hour their hold lapses and one of
    ``RELEASE_STRIPES`` stripes (``<hour>#<stripe>``: one hour's key alone would be a hot
    partition at 5 million calls a day); the release job reads the stripes of the hours that
    passed (its cost follows the calls never ended)."""

    class Meta:
        index_name = "by_release_hour"
        projection = KeysOnlyProjection()

    release_hour = UnicodeAttribute(hash_key=True)
    release_at = NumberAttribute(range_key=True)


@register
class Call(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("calls")

    call_id = UnicodeAttribute(hash_key=True)
    facility_id = UnicodeAttribute()
    inmate_id = UnicodeAttribute()
    inmate_number = UnicodeAttribute()
    dialed_number = UnicodeAttribute()  # E.164
    account_id = UnicodeAttribute(null=True)  # the family whose number it is
    payer = UnicodeAttribute()  # family | inmate | agency
    payer_account = UnicodeAttribute()  # the ledger account held ("" for the agency)
    rate_cents_per_minute = NumberAttribute()
    max_seconds = NumberAttribute()
    held_cents = NumberAttribute()
    free_drop = NumberAttribute(default=1)  # 0 for a continuation: no second free minute
    continues_call_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # states.CallStatus
    authorized_at = UnicodeAttribute()
    release_hour = UnicodeAttribute(null=True)  # "<hour>#<stripe>", while authorised
    release_at = NumberAttribute(null=True)
    ended_at = UnicodeAttribute(null=True)
    connected_seconds = NumberAttribute(null=True)
    billed_seconds = NumberAttribute(null=True)
    end_cause = UnicodeAttribute(null=True)
    charge_cents = NumberAttribute(null=True)
    by_account = CallsByAccount()
    open_calls = OpenCalls()


@register
class CallDrop(StoredModel):
    """The last call to a number that the system or the network dropped: a call to the same
    number within 5 minutes continues it.  Expires by TTL soon after."""

    class Meta(BaseMeta):
        table_name = TableName("call-drops")

    line = UnicodeAttribute(hash_key=True)  # "<inmate_id>#<E.164>"
    call_id = UnicodeAttribute()
    dropped_at = NumberAttribute()
    ttl = TTLAttribute(null=True)


@register
class Release(StoredModel):
    """A person the roster released: staff pay out their own trust and phone balances (no fee);
    the families' calling balances were refunded when this was written."""

    class Meta(BaseMeta):
        table_name = TableName("releases")

    facility_id = UnicodeAttribute(hash_key=True)
    release_key = UnicodeAttribute(range_key=True)  # "<ISO time>#<inmate_id>": oldest first
    inmate_id = UnicodeAttribute()
    inmate_number = UnicodeAttribute()
    full_name = UnicodeAttribute()
    import_id = UnicodeAttribute()
    released_at = UnicodeAttribute()


def call_by_id(call_id: str) -> Call | None:
    """The call record (support checks that a ticket's call reached the family's number)."""
    return get_or_none(Call, call_id)
