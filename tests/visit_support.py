"""Shared set-up for the visit tests: the demo facility (its seeded visit policy), approved
contacts written straight into the contacts tables, principals, and the next bookable slot."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from chalicelib.accounts import Account
from chalicelib.contacts import CONTACT_APPROVED, Contact, ContactClaim, claim_key
from chalicelib.core import clock
from chalicelib.core.identity import Principal
from chalicelib.facilities import rulebook
from chalicelib.facilities.seed import (DEMO_FACILITY, DEMO_FACILITY_ID, DEMO_INMATES, DEMO_RULES,
                                       search_key)
from chalicelib.facilities.store import Facility, Inmate
from chalicelib.payments import processor as processors
from chalicelib.visits import booking, slots, video

MARCUS, ELENA = "inm_A1001", "inm_A1002"
STAFF = Principal("acc_staff", "staff", "ses_staff", DEMO_FACILITY_ID)


def demo_facility() -> None:
    """The demo facility and its two inmates, written straight (the seed's roster import and
    kiosk cost more than these tests)."""
    Facility(DEMO_FACILITY_ID, rules=rulebook.complete(DEMO_RULES), rules_version=1,
             **{key: value for key, value in DEMO_FACILITY.items() if key != "facility_id"},
             stamp_price_cents=DEMO_RULES["stamp_price_cents"]).save()
    for inmate_id, number, first, last, unit in DEMO_INMATES:
        Inmate(inmate_id, facility_id=DEMO_FACILITY_ID, inmate_number=number,
               full_name=f"{first} {last}", search_key=search_key(f"{first} {last}"),
               housing_unit=unit).save()


@pytest.fixture
def visit_world(aws_state, api):
    """The demo facility, the test card processor and local video rooms."""
    demo_facility()
    card = processors.TestProcessor()
    processors.use_processor(card)
    video.use_rooms(video.LocalVideoRooms())
    yield card
    processors.use_processor(None)
    video.use_rooms(None)


def family(n: int = 1, inmate_id: str = MARCUS, approved: bool = True) -> Principal:
    """A family account with a contact to ``inmate_id`` (approved unless said otherwise)."""
    account_id = f"acc_visit_family_{n}"
    Account(account_id, email=f"visit.family.{n}@example.com", full_name=f"Family {n}",
            **_account_defaults()).save()
    contact_id = f"con_{uuid.uuid4().hex[:12]}"
    Contact(contact_id, account_id=account_id, inmate_id=inmate_id, facility_id=DEMO_FACILITY_ID,
            status=CONTACT_APPROVED if approved else "pending", review_key="x",
            family_name=f"Family {n}", inmate_name="Marcus Johnson", inmate_number="A1001",
            created_at=clock.iso(), created_key=f"{clock.iso_precise()}#{contact_id}").save()
    ContactClaim(claim_key(account_id, inmate_id), contact_id=contact_id).save()
    return Principal(account_id, "family", f"ses_{n}")


def _account_defaults() -> dict:
    return {"password_hash": "x", "created_at": clock.iso(), "password_changed_at": clock.iso(),
            "email_verified": True}


def set_visit_policy(mode: str, **changes) -> None:
    facility = Facility.get(DEMO_FACILITY_ID)
    rules = facility.rules.as_dict()
    policy = dict(rules["visit_policy"])
    policy[mode] = {**policy[mode], **changes}
    facility.rules = {**rules, "visit_policy": policy}
    facility.save()


def bookable_slot(mode: str = "video", days_ahead: int = 3, index: int = 0) -> slots.Slot:
    """A slot of the demo templates ``days_ahead`` days from now (inside both notice windows)."""
    facility = Facility.get(DEMO_FACILITY_ID)
    policy = booking.facilities.visit_mode(facility.rules.as_dict(), mode)
    tz = slots.zone(facility.timezone)
    day = slots.local_date(clock.now(), tz) + timedelta(days=days_ahead)
    return slots.slots_between(policy, DEMO_FACILITY_ID, tz, day, day)[index]


def book(principal: Principal, slot: slots.Slot, inmate_id: str = MARCUS, token="tok_visa",
         **body) -> dict:
    status, held = booking.hold(principal, slot.slot_id, inmate_id)
    assert status == 201, held
    stored = booking.book(principal, {"hold_id": held["hold_id"], "payment_method_token": token,
                                      **body}, uuid.uuid4().hex)
    assert stored.status == 201
    return stored.body()
