"""Fixtures for the money tests: the demo facility, a second facility, staff of each, the test
card processor, and small helpers to call the money endpoints."""
from __future__ import annotations

import uuid

import pytest

from chalicelib.facilities.seed import DEMO_FACILITY_ID, DEMO_RULES, search_key, seed_demo_facility
from chalicelib.facilities.store import Facility, Inmate
from chalicelib.payments import processor as processors
from tests.mfa_helpers import create_staff, staff_sign_in

OTHER_FACILITY_ID = "other-county"


@pytest.fixture
def card(api):
    """A fresh test processor per test, so its operations list tells what happened to cards."""
    processor = processors.TestProcessor()
    processors.use_processor(processor)
    yield processor
    processors.use_processor(None)


@pytest.fixture
def facilities(api):
    seed_demo_facility()
    Facility(OTHER_FACILITY_ID, name="Other County Detention Center", state="VA",
             stamp_price_cents=50, rules={**DEMO_RULES, "deposit_max_cents": 20000}).save()
    admit("inm_B2001", OTHER_FACILITY_ID, "B2001", "Dana Lee")


def admit(inmate_id: str, facility_id: str, number: str, name: str):
    Inmate(inmate_id, facility_id=facility_id, inmate_number=number, full_name=name,
           search_key=search_key(name)).save()


def staff_token(api, facility_id: str) -> str:
    email = f"staff@{facility_id}.example"
    create_staff(email, "Sam Staff", facility_id=facility_id)
    return staff_sign_in(api, email)["access_token"]


@pytest.fixture
def family(api, make_family, facilities, card):
    """(email, access token) of a signed-in family account, with the facilities seeded."""
    email, _, tokens = make_family()
    return email, tokens["access_token"]


def deposit_body(inmate_id: str = "inm_A1001", amount_cents: int = 2000, account: str = "trust",
                 token: str = "tok_visa") -> dict:
    return {"inmate_id": inmate_id, "account": account, "amount_cents": amount_cents,
            "payment_method_token": token}


def post_deposit(api, access_token: str, body: dict | None = None, key: str | None = None):
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    return api.post("/v1/deposits", body or deposit_body(), token=access_token, headers=headers)


__all__ = ["DEMO_FACILITY_ID", "OTHER_FACILITY_ID", "admit", "card", "deposit_body", "facilities",
           "family", "post_deposit", "staff_token"]
