"""Visits in the domain (docs/api.md "Visits"): slots, holds, bookings, remedies."""
from __future__ import annotations

from chalicelib.visits import booking
from tests.visit_support import MARCUS, bookable_slot, book, family, visit_world  # noqa: F401


def test_smoke_hold_and_book_a_video_visit(visit_world):
    principal = family()
    slot = bookable_slot("video")
    booked = book(principal, slot)
    assert booked["status"] == "scheduled" and booked["price_cents"] == 30 * 15
    assert [op for op, *_ in visit_world.operations] == ["authorize", "capture"]
    listed = booking.list_slots(principal, "demo-county", MARCUS, "video", slot.local_date,
                                slot.local_date)
    first = next(item for item in listed["items"] if item["slot_id"] == slot.slot_id)
    assert first["available"] == slot.capacity - 1
