"""The visit tables.  Capacity and the inmate's time are guarded by items, not by counters:

* ``visit-places``: one item per place (table or station) of a slot, created on first use and
  taken with a condition (free, or held by a hold that has expired): two families racing for a
  slot meet only when they pick the same place, and a place is never given twice.  The
  partition is the facility's mode and the sort key the slot's start, so a week of slots is one
  Query whatever the history.
* ``visit-inmate-weeks``: one item per inmate and local week holding its live holds and visits;
  every hold rewrites it conditioned on the version read, so two holds for one inmate serialise
  there (the inmate's time lock: no overlap, and the weekly allowance is never exceeded).
  Bookings and cancellations only add to ``booked`` / ``released`` and bump the version.
* ``visit-holds``: a hold lives 10 minutes (expiry enforced on read; housekeeping deletes).
* ``visits``: the visit, its timeline and the sparse ``by_due`` index the job Queries.
"""
from __future__ import annotations

import json

from pynamodb.attributes import (ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute,
                                 UnicodeSetAttribute)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.core.store import (BaseMeta, ExpiringModel, StoredModel, TableName,
                                   get_or_none, register)

DUE = "due"  # the one partition of the sparse due index (items leave it when nothing is due)


@register
class VisitPlace(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("visit-places")

    lane = UnicodeAttribute(hash_key=True)  # "<facility_id>#<mode>"
    place = UnicodeAttribute(range_key=True)  # "<slot start, UTC stamp>#<place number>"
    holder = UnicodeAttribute(null=True)  # a hold id or a visit id; absent: free
    holder_kind = UnicodeAttribute(null=True)  # "hold" | "visit"
    hold_expires_at = NumberAttribute(null=True)  # epoch seconds, holds only


@register
class InmateWeek(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("visit-inmate-weeks")

    inmate_week = UnicodeAttribute(hash_key=True)  # "<inmate_id>#<Monday, local>"
    version = NumberAttribute(default=0)
    # {entry id (the hold's id, kept by its visit): {m: mode, s: start, e: end, x: hold expiry
    # (epoch), a: account id, slot: slot id}}, as JSON: rewritten whole by each hold.
    entries = UnicodeAttribute(default="{}")
    booked = UnicodeSetAttribute(null=True)  # entries that became visits
    released = UnicodeSetAttribute(null=True)  # entries whose visit was cancelled or declined

    def entry_map(self) -> dict[str, dict]:
        return json.loads(self.entries or "{}")

    def live(self, now: float) -> dict[str, dict]:
        """Entries that count: visits not released, and holds not expired."""
        booked, released = set(self.booked or ()), set(self.released or ())
        return {key: entry for key, entry in self.entry_map().items()
                if key not in released and (key in booked or entry["x"] > now)}


@register
class VisitHold(ExpiringModel):
    class Meta(BaseMeta):
        table_name = TableName("visit-holds")

    hold_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    inmate_id = UnicodeAttribute()
    facility_id = UnicodeAttribute()
    mode = UnicodeAttribute()
    slot_id = UnicodeAttribute()
    starts = NumberAttribute()
    ends = NumberAttribute()
    lane = UnicodeAttribute()
    place = UnicodeAttribute()
    inmate_week = UnicodeAttribute()
    local_date = UnicodeAttribute()
    # The policy in force when the hold was taken (the booking reads nothing else).
    price_cents_per_minute = NumberAttribute()
    visitors_per_visit = NumberAttribute()
    staff_approval = UnicodeAttribute()  # "yes" | "no"
    minimum_notice_hours = NumberAttribute()
    family_name = UnicodeAttribute()
    inmate_name = UnicodeAttribute()
    # Who hears of the booking and how (``notices.recipient_of``): the booking reads nothing.
    notify = MapAttribute(null=True)
    created_at = UnicodeAttribute()


class TimelineLine(MapAttribute):
    status = UnicodeAttribute()
    at = UnicodeAttribute()
    by_role = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)


class Visitor(MapAttribute):
    full_name = UnicodeAttribute()
    date_of_birth = UnicodeAttribute()


class VisitsByAccount(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    starts_key = UnicodeAttribute(range_key=True)


class VisitsByInmate(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_inmate"
        projection = AllProjection()

    inmate_id = UnicodeAttribute(hash_key=True)
    starts_key = UnicodeAttribute(range_key=True)


class VisitsByFacilityDay(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_facility_day"
        projection = AllProjection()

    facility_day = UnicodeAttribute(hash_key=True)  # "<facility_id>#<local date>"
    starts_key = UnicodeAttribute(range_key=True)


class VisitsDue(GlobalSecondaryIndex):
    """Sparse, keys only: visits with something to do at ``due_at`` (a reminder, the cut-off
    of an undecided request, the end); the job's cost follows what is due, not the history."""

    class Meta:
        index_name = "by_due"
        projection = KeysOnlyProjection()

    due_lane = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


@register
class Visit(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("visits")

    visit_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    inmate_id = UnicodeAttribute()
    facility_id = UnicodeAttribute()
    mode = UnicodeAttribute()
    status = UnicodeAttribute()
    slot_id = UnicodeAttribute()
    starts = NumberAttribute()
    ends = NumberAttribute()
    starts_at = UnicodeAttribute()
    ends_at = UnicodeAttribute()
    starts_key = UnicodeAttribute()  # "<starts_at>#<visit_id>"
    facility_day = UnicodeAttribute()
    # What the booking took: the place, the inmate-week entry (the hold's id).
    lane = UnicodeAttribute()
    place = UnicodeAttribute()
    inmate_week = UnicodeAttribute()
    entry_id = UnicodeAttribute()
    price_cents = NumberAttribute(default=0)
    price_cents_per_minute = NumberAttribute(default=0)
    minimum_notice_hours = NumberAttribute()
    refund_cents = NumberAttribute(default=0)
    visitors = ListAttribute(of=Visitor, default=list)
    timeline = ListAttribute(of=TimelineLine, default=list)
    cancelled_by = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)  # the reason code of a decline or cancellation
    reason_texts = MapAttribute(null=True)  # {language: words}, kept as the family read them
    reminders_sent = NumberAttribute(default=0)  # 0, 1 (24 h), 2 (1 h)
    # Video: the Chime meeting (CreateMeeting's Meeting, as JSON) and what was delivered.
    meeting = UnicodeAttribute(null=True)
    joined = UnicodeSetAttribute(null=True)  # "family" / "inmate", once each joined
    connected_at = NumberAttribute(null=True)
    ended_at = NumberAttribute(null=True)
    end_reason = UnicodeAttribute(null=True)
    delivered_minutes = NumberAttribute(null=True)
    family_name = UnicodeAttribute()
    inmate_name = UnicodeAttribute()
    created_at = UnicodeAttribute()
    due_lane = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    by_account = VisitsByAccount()
    by_inmate = VisitsByInmate()
    by_facility_day = VisitsByFacilityDay()
    by_due = VisitsDue()


def visit_by_id(visit_id: str) -> Visit | None:
    """The visit (support checks that a ticket's visit is the family's own)."""
    return get_or_none(Visit, visit_id)
