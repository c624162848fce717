"""Helpers of the ASVS regression suite (tests/test_security_asvs.py): the cast of the
authorization matrix, a snapshot of every table, and a scan for secrets in tables and logs.

The cast reuses the messaging ``world`` (two facilities, their staff, an admin, kiosk sign-in)
and the money fixtures (test card processor); it only adds the objects the matrix needs: one
family's contact, messages, deposit, review flag and second session, all at the demo facility.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field

from chalicelib.core import aws
from chalicelib.core.store import MODELS
from tests.conftest import STRONG_PASSWORD
from tests.messaging_support import DEMO_FACILITY_ID, ELENA, MARCUS, World, set_rules
from tests.money_fixtures import admit, deposit_body, post_deposit

ROLES = ("anonymous", "owner", "other_family", "staff", "other_staff", "admin", "inmate",
         "other_inmate")
FLAGGED_INMATE = "inm_A1009"  # the second inmate the owner pays, under a threshold of one


@dataclass
class Cast:
    """Who calls (a token per role) and whose objects they reach for (the owner's)."""

    world: World
    tokens: dict[str, str | None]
    victim_email: str
    ids: dict[str, str] = field(default_factory=dict)


def build_cast(world: World) -> Cast:
    api = world.api
    owner, other, victim = world.family(stamps_at_demo=5), world.family(), world.family()
    contact_id = world.contact(owner)
    pending_contact = world.contact(owner, ELENA, approve=False)
    pending_message = world.send(owner, contact_id, "waiting for review").json["message_id"]
    delivered = world.send(owner, contact_id, "delivered").json["message_id"]
    assert world.decide(delivered, "approve").status_code == 200
    deposit = post_deposit(api, owner.token)
    assert deposit.status_code == 201, deposit.json
    admit(FLAGGED_INMATE, DEMO_FACILITY_ID, "A1009", "Flag Person")
    set_rules(flag_sender_distinct_inmates_per_day=1)  # flags the owner's second inmate today
    assert post_deposit(api, owner.token, deposit_body(FLAGGED_INMATE)).status_code == 201
    [flag] = api.get("/v1/staff/flags", token=world.staff).json["items"]
    kiosk = api.post("/v1/staff/kiosks", {"label": "Matrix tablet"}, token=world.staff)
    assert kiosk.status_code == 201, kiosk.json
    second = api.post("/v1/auth/login", {"email": owner.email, "password": STRONG_PASSWORD})
    sessions = api.get("/v1/account/sessions", token=second.json["access_token"]).json["items"]
    [second_session] = [s["session_id"] for s in sessions if s["current"]]
    ticket = api.post("/v1/support/tickets", {"category": "deposit", "subject": "Matrix",
                                              "body": "Where is it?",
                                              "related_id": deposit.json["deposit_id"]},
                      token=owner.token)
    assert ticket.status_code == 201, ticket.json
    course = api.call("PUT", "/v1/staff/courses/matrix-course",
                      {"title": "Matrix", "provider": "County", "language": "en",
                       "lessons": [{"title": "One"}]}, token=world.staff)
    assert course.status_code == 200, course.json
    tokens = {"anonymous": None, "owner": owner.token, "other_family": other.token,
              "staff": world.staff, "other_staff": world.other_staff, "admin": world.admin,
              "inmate": world.inmate_token("A1001"), "other_inmate": world.inmate_token("A1002")}
    ids = {"account_id": victim.account_id, "session_id": second_session,
           "facility_id": DEMO_FACILITY_ID, "inmate_id": MARCUS,
           "deposit_id": deposit.json["deposit_id"], "flag_id": flag["flag_id"],
           "kiosk_id": kiosk.json["kiosk_id"], "kiosk_inmate_id": FLAGGED_INMATE,
           "contact_id": contact_id, "pending_contact_id": pending_contact,
           "message_id": pending_message, "delivered_message_id": delivered,
           "ticket_id": ticket.json["ticket_id"], "course_id": "matrix-course", "n": "1",
           "owner_email": owner.email, "other_family_email": other.email,
           "staff_email": "staff@demo-county.example",
           "other_staff_email": "staff@other-county.example", "admin_email": "admin@demo.example"}
    return Cast(world, tokens, victim.email, ids)


def fresh_key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


# --- every table, every item ---------------------------------------------------------------

def table_names() -> list[str]:
    return sorted({model.Meta.table_name for model in MODELS})


def all_items() -> dict[str, list[dict]]:
    """Every item of every table, raw (a plain DynamoDB ``Scan``, paged to the end)."""
    dynamodb = aws.client("dynamodb")
    dump: dict[str, list[dict]] = {}
    for name in table_names():
        items, kwargs = [], {"TableName": name}
        while True:
            page = dynamodb.scan(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        dump[name] = items
    return dump


# A session's "last used" time is written at most once a minute by any authenticated request,
# allowed or not (ASVS 3.3.2 needs it); it is the only write a refused call may cause.
_BOOKKEEPING = {"last_used_at"}


def snapshot() -> dict[str, set[str]]:
    """Each table's items as canonical JSON (bookkeeping fields left out), for before/after."""
    return {name: {json.dumps({k: v for k, v in item.items() if k not in _BOOKKEEPING},
                              sort_keys=True) for item in items}
            for name, items in all_items().items()}


def changes(before: dict[str, set[str]], after: dict[str, set[str]]) -> dict[str, dict]:
    return {name: {"added": sorted(after[name] - before[name])[:3],
                   "removed": sorted(before[name] - after[name])[:3]}
            for name in before if before[name] != after[name]}


# --- secrets in clear ------------------------------------------------------------------------

def _pattern(secret: str) -> re.Pattern:
    """Digits-only secrets (codes, card numbers) must not match inside a longer number."""
    escaped = re.escape(secret)
    return re.compile(rf"(?<!\d){escaped}(?!\d)" if secret.isdigit() else escaped,
                      re.IGNORECASE)


def leaks(secrets: dict[str, str], haystacks: dict[str, str]) -> list[tuple[str, str]]:
    """(secret label, place) for every secret found in any haystack."""
    patterns = {label: _pattern(value) for label, value in secrets.items()}
    return [(label, place) for place, text in haystacks.items()
            for label, pattern in patterns.items() if pattern.search(text)]
