"""Shared set-up for the messaging tests: two facilities, their staff, an admin, families with
stamps, and kiosk sign-in (the test client plays the demo kiosk: every request carries its key;
``OTHER_KIOSK_KEY`` is the other facility's kiosk).  Stamps are credited straight into the
balance table (the purchase endpoint belongs to payments), through the same transaction action
payments uses."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
from pynamodb.transactions import TransactWrite

from chalicelib.accounts.passwords import hash_password
from chalicelib.core.store import transaction_connection
from chalicelib.facilities import kiosks
from chalicelib.facilities.seed import (DEMO_FACILITY_ID, DEMO_INMATE_PIN, DEMO_KIOSK_KEY,
                                       search_key, seed_demo_facility)
from chalicelib.facilities.store import Facility, Inmate
from chalicelib.payments import stamps
from tests.mfa_helpers import create_staff, staff_sign_in

OTHER_FACILITY_ID = "other-county"
MARCUS, ELENA, OTHER_INMATE = "inm_A1001", "inm_A1002", "inm_B2001"
OTHER_KIOSK_KEY = "kio_other.other-county-kiosk-key-for-tests-only-0001"


def grant_stamps(account_id: str, facility_id: str, count: int) -> None:
    with TransactWrite(connection=transaction_connection()) as transaction:
        stamps.credit(transaction, account_id, facility_id, count)


def new_key() -> dict[str, str]:
    """A fresh ``Idempotency-Key`` header (message sends require one)."""
    return {"Idempotency-Key": uuid.uuid4().hex}


def stamp_balance(account_id: str, facility_id: str = DEMO_FACILITY_ID) -> int:
    for balance in stamps.balances(account_id):
        if balance.facility_id == facility_id:
            return int(balance.balance)
    return 0


def set_rules(facility_id: str = DEMO_FACILITY_ID, **changes) -> None:
    facility = Facility.get(facility_id)
    facility.rules = {**facility.rules.as_dict(), **changes}
    facility.save()


@dataclass
class Family:
    email: str
    token: str
    account_id: str


@dataclass
class World:
    api: object
    make_family_fixture: object
    staff: str = ""
    other_staff: str = ""
    admin: str = ""
    families: list = field(default_factory=list)

    def family(self, stamps_at_demo: int = 0) -> Family:
        email, _, tokens = self.make_family_fixture()
        account_id = self.api.get("/v1/account", token=tokens["access_token"]).json["account_id"]
        if stamps_at_demo:
            grant_stamps(account_id, DEMO_FACILITY_ID, stamps_at_demo)
        return Family(email, tokens["access_token"], account_id)

    def contact(self, family: Family, inmate_id: str = MARCUS, approve: bool = True) -> str:
        response = self.api.post("/v1/contacts", {"inmate_id": inmate_id}, token=family.token)
        assert response.status_code == 201, response.json
        contact_id = response.json["contact_id"]
        if approve:
            staff = self.staff if inmate_id != OTHER_INMATE else self.other_staff
            decided = self.api.post(f"/v1/staff/contacts/{contact_id}/decision",
                                    {"decision": "approve"}, token=staff)
            assert decided.status_code == 200, decided.json
        return contact_id

    def send(self, family: Family, contact_id: str, body: str = "Hello from home",
             headers: dict | None = None, **kw):
        """A family send, with a fresh Idempotency-Key unless ``headers`` brings one."""
        return self.api.post(f"/v1/contacts/{contact_id}/messages", {"body": body},
                             token=family.token, headers=headers or new_key(), **kw)

    def reply(self, inmate_token: str, contact_id: str, body: str = "Thank you",
              headers: dict | None = None, **kw):
        """An inmate's reply from the kiosk, with a fresh Idempotency-Key unless given one."""
        return self.api.post("/v1/inmate/messages", {"contact_id": contact_id, "body": body},
                             token=inmate_token, headers=headers or new_key(), **kw)

    def decide(self, message_id: str, decision: str, reason: str | None = None, token=None,
               **extra):
        body = {"decision": decision, **extra}
        if reason is not None:
            body["reason"] = reason
        return self.api.post(f"/v1/staff/messages/{message_id}/decision", body,
                             token=token or self.staff)

    def inmate_login(self, number: str = "A1001", facility_id: str = DEMO_FACILITY_ID,
                     pin: str = DEMO_INMATE_PIN, kiosk_key: str | None = None):
        """``kiosk_key`` replaces the demo kiosk's key ("" sends none)."""
        headers = None if kiosk_key is None else {"X-Kiosk-Key": kiosk_key}
        return self.api.post("/v1/inmate/login", {"facility_id": facility_id,
                                                  "inmate_number": number, "pin": pin},
                             headers=headers)

    def inmate_token(self, number: str = "A1001", facility_id: str = DEMO_FACILITY_ID) -> str:
        response = self.inmate_login(number, facility_id)
        assert response.status_code == 200, response.json
        return response.json["access_token"]


def _login(api, email: str) -> str:
    return staff_sign_in(api, email)["access_token"]


@pytest.fixture
def world(api, make_family) -> World:
    seed_demo_facility()
    api.headers["X-Kiosk-Key"] = DEMO_KIOSK_KEY
    Facility(OTHER_FACILITY_ID, name="Other County Detention Center", state="VA",
             stamp_price_cents=45, rules={"rejection_reasons": ["Other"]}).save()
    Inmate(OTHER_INMATE, facility_id=OTHER_FACILITY_ID, inmate_number="B2001",
           full_name="Sam Other", search_key=search_key("Sam Other"),
           pin_hash=hash_password(DEMO_INMATE_PIN)).save()
    kiosks.register(OTHER_FACILITY_ID, "Other kiosk", by="seed", key=OTHER_KIOSK_KEY)
    create_staff("staff@demo-county.example", "Dana Staff", facility_id=DEMO_FACILITY_ID)
    create_staff("staff@other-county.example", "Olly Staff", facility_id=OTHER_FACILITY_ID)
    create_staff("admin@demo.example", "Ada Admin", role="admin")
    return World(api, make_family, staff=_login(api, "staff@demo-county.example"),
                 other_staff=_login(api, "staff@other-county.example"),
                 admin=_login(api, "admin@demo.example"))
