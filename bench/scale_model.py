"""``make scale-doc``: docs/scale.md, computed from the code's own calls at the issue's scale.

One sign-in, deposit, message send, call authorisation and end (the platform's API), and visit
hold and booking go through the in-process app (Chalice's test
client over moto), each followed by the notification worker draining the queue.  botocore
events (``before-parameter-build`` / ``after-call`` on every client) record every AWS call: service,
operation, and for DynamoDB each item's table, index, partition key, and the capacity units it
costs by DynamoDB's rules (item sizes read from the emulator: moto's own ``ConsumedCapacity``
is not faithful).  Each flow is run again with the actors varied one at a time (the same
family again, another family, another inmate of the facility, another facility): a partition
key that changes with the family is per family, one that stays when the facility changes is
global.  The counts are then scaled to the issue's daily volumes and peak hour.  Nothing here
is measured in time, so the page changes only when the code's calls or the constants change.
Run: ``python -m bench.scale_model`` (prints) or ``--write`` (docs/scale.md).
"""
from __future__ import annotations

import json
import math
import re
import sys
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bench.conflicts import WINDOW_SECONDS

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "scale.md"
PRICED_ON = "2026-12-01"

# --- the issue's scale ---------------------------------------------------------------------
PEOPLE_HELD = 1_200_000
FACILITIES = 3_000
FAMILY_ACCOUNTS = 5_000_000
# Calls: the issue's ~5 million call ends a day, each authorised first.  Visits (our choice):
# 1.2 million people held, about one visit a week each in the incumbents' rules (two on-site or
# three video a week allowed), so 170,000 a day, rounded up to 200,000 bookings, each held first.
PER_DAY = {"sign-in": 2_000_000, "deposit": 300_000, "message": 1_000_000,
           "call authorisation": 5_000_000, "call end": 5_000_000,
           "visit hold": 200_000, "visit booking": 200_000}
# The cost rows the issue asks for, per million of the second flow with the first included.
PAIRED = {"call end": "call authorisation", "visit booking": "visit hold"}
PEAK_HOUR_SHARE = 0.10
# A peak minute at three times the peak hour's average (the issue: 56/s, 167/s in a minute).
PEAK_MINUTE_FACTOR = 3
# The busiest facility: the issue's own example (finding 5).
HOTTEST_FACILITY_PEOPLE = 10_000
# The busiest person (family account, inmate) does this many times the average of their kind;
# the busiest source address (a carrier NAT, a prison's visitor kiosk) carries this share.
PERSON_SKEW = 100
HOTTEST_ADDRESS_SHARE = 0.01
# Stamp purchases are money transactions too: the issue's range runs from none to one per deposit.
STAMP_PURCHASES_PER_DEPOSIT = (0.0, 1.0)
SURGES = (1, 5, 20)  # peak hour, holidays, retry storms
# Jobs (findings 4, 5, 7): records expiring an hour (the issue's figure), password-reminder
# days, and, for the digest, every family choosing it with this many decisions a day each.
EXPIRING_PER_HOUR = 160_000
DECISIONS_PER_DIGEST = 2
# The directory (finding 6): the largest state's share of facilities; states and territories.
LARGEST_STATE_SHARE = 0.10

# --- DynamoDB and Lambda facts --------------------------------------------------------------
PARTITION_WCU, PARTITION_RCU = 1_000, 3_000
LAMBDA_MEMORY_GB = json.loads((ROOT / ".chalice" / "config.json").read_text())[
    "lambda_memory_size"] / 1024
# Time a request spends, for concurrency and GB-seconds: bcrypt at cost 12 takes about 0.25 s on
# a whole vCPU, which Lambda gives a function of 1,769 MB: the bcrypt routes run on a function of
# that size (scripts/cfn_edge.py); every AWS call ~8 ms in-region, 15 ms of our own code.
# Assumptions, not measurements (this page must be stable).
SIGN_IN_MEMORY_MB = 1769
BCRYPT_VCPU_SECONDS = 0.25
AWS_CALL_SECONDS = 0.008
OWN_SECONDS = 0.015

# On-demand list prices, us-east-1, as known on PRICED_ON (DynamoDB after the November 2024
# cut).  Update them here when AWS changes them; the page follows.
PRICES = {
    "DynamoDB write request unit": 0.625e-6,
    "DynamoDB read request unit": 0.125e-6,
    "Lambda request": 0.20e-6,
    "Lambda GB-second (x86)": 0.0000166667,
    "API Gateway REST request": 3.50e-6,
    "SQS request (64 KB)": 0.40e-6,
    "SES email": 0.10e-3,
    "SNS SMS to the US (base + carrier fee, about)": 0.0083,
    "KMS request": 0.03e-4,
}
SMS_PRICE_KEY = "SNS SMS to the US (base + carrier fee, about)"

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
SOURCE_IP = "127.0.0.1"  # what chalice's test client reports as the caller's address


# --- recording the calls ---------------------------------------------------------------------

@dataclass
class Touch:
    """One item (or index partition) a DynamoDB call read or wrote."""
    table: str
    index: str | None
    partition: str
    write: bool
    units: float


@dataclass
class Call:
    service: str
    operation: str
    touches: list[Touch] = field(default_factory=list)


class Recorder:
    """Every AWS call made while ``recording`` is on, through botocore's built-in handlers (so
    every client created afterwards, PynamoDB's included, reports here)."""

    def __init__(self) -> None:
        from botocore.handlers import BUILTIN_HANDLERS

        self.calls: list[Call] = []
        self.recording = False
        self._pending: list[tuple[str, dict, dict]] = []
        BUILTIN_HANDLERS.append(("before-parameter-build", self._before))
        BUILTIN_HANDLERS.append(("after-call", self._after))

    def _before(self, model, params, **_):  # the API parameters, before serialisation
        dynamo = model.service_model.endpoint_prefix == "dynamodb"
        before = {key: _snapshot(*key) for key in _written_keys(model.name, params)} if (
            dynamo and self.recording) else {}
        self._pending.append((model.name, params, before))

    def _after(self, model, parsed, **_):
        name, params, before = self._pending.pop()
        if not self.recording:
            return
        service = model.service_model.endpoint_prefix
        call = Call(service, name)
        if service == "dynamodb" and not parsed.get("Error"):
            call.touches = dynamo_touches(name, params, parsed, before)
        self.calls.append(call)


def _backend():
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


def _value(attribute: dict) -> str:
    return str(next(iter(attribute.values())))


ItemKey = tuple[tuple[str, str], tuple[str, str] | None]  # (type, value) of hash and range


def _stored(table_name: str, key: ItemKey):
    from moto.dynamodb.models.dynamo_type import DynamoType

    hash_part, range_part = key
    return _backend().get_table(table_name).get_item(
        DynamoType({hash_part[0]: hash_part[1]}),
        DynamoType({range_part[0]: range_part[1]}) if range_part else None)


def _item_key(table_name: str, values: dict) -> ItemKey:
    table = _backend().get_table(table_name)

    def part(name):
        [(kind, value)] = values[name].items()
        return kind, value

    return part(table.hash_key_attr), part(table.range_key_attr) if table.range_key_attr else None


def _snapshot(table_name: str, key: ItemKey) -> tuple[int, dict[str, str | None]]:
    """(size, each global index's partition value) of a stored item (0, {} when absent)."""
    stored = _stored(table_name, key)
    if stored is None:
        return 0, {}
    table = _backend().get_table(table_name)
    return stored.size(), {index.name: (str(stored.attrs[index.schema[0]["AttributeName"]].value)
                                        if index.schema[0]["AttributeName"] in stored.attrs else None)
                           for index in table.global_indexes}


def _written_keys(operation: str, params: dict) -> list[tuple[str, ItemKey]]:
    bodies = []
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        bodies = [params]
    elif operation == "TransactWriteItems":
        bodies = [next(iter(item.values())) for item in params["TransactItems"]]
    elif operation == "BatchWriteItem":
        bodies = [{**next(iter(request.values())), "TableName": table}
                  for table, requests in params["RequestItems"].items() for request in requests]
    return [(body["TableName"], _item_key(body["TableName"], body.get("Key") or body["Item"]))
            for body in bodies]


def dynamo_touches(operation: str, params: dict, parsed: dict, before: dict) -> list[Touch]:
    """The items a call touched and their capacity units, by DynamoDB's rules: a write costs a
    unit per KB of the larger of the item before and after, a read a unit per 4 KB (half when
    eventually consistent), a transaction twice that; an index is written when an item enters
    it, leaves it or moves in it, or changes while the index projects everything."""
    touches: list[Touch] = []
    transactional = operation.startswith("Transact")
    if operation in WRITES:
        for table_name, key in _written_keys(operation, params):
            size_before, index_before = before[(table_name, key)]
            size_after, index_after = _snapshot(table_name, key)
            units = math.ceil(max(size_before, size_after, 1) / 1024) * (2 if transactional else 1)
            touches.append(Touch(table_name, None, key[0][1], True, units))
            table = _backend().get_table(table_name)
            for index in table.global_indexes:
                old, new = index_before.get(index.name), index_after.get(index.name)
                everything = index.projection.get("ProjectionType") == "ALL"
                if old != new or (everything and new is not None and size_before != size_after):
                    for partition in {old, new} - {None}:
                        touches.append(Touch(table_name, index.name, partition, True,
                                             math.ceil(size_after / 1024) if everything else 1))
        return touches
    consistent = 1.0 if params.get("ConsistentRead") else 0.5
    if operation == "GetItem":
        reads = [(params["TableName"], params["Key"], consistent)]
    elif operation == "TransactGetItems":
        reads = [(item["Get"]["TableName"], item["Get"]["Key"], 2.0) for item in params["TransactItems"]]
    elif operation == "BatchGetItem":
        reads = [(table_name, key, 1.0 if request.get("ConsistentRead") else 0.5)
                 for table_name, request in params["RequestItems"].items() for key in request["Keys"]]
    elif operation in ("Query", "Scan"):
        table_name = params["TableName"]
        size = sum(_snapshot(table_name, _item_key(table_name, item))[0]
                   for item in parsed.get("Items", []))
        partition = _value(next(iter(params.get("ExpressionAttributeValues", {"": {"S": "*"}}).values())))
        return [Touch(table_name, params.get("IndexName"), partition, False,
                      max(1, math.ceil(size / 4096)) * consistent)]
    else:
        return []
    for table_name, key, factor in reads:
        item_key = _item_key(table_name, key)
        touches.append(Touch(table_name, None, item_key[0][1], False,
                             max(1, math.ceil(_snapshot(table_name, item_key)[0] / 4096)) * factor))
    return touches


# --- the flows ----------------------------------------------------------------------------------

PASSWORD = "correct horse battery staple 42"
HEADERS = {"Content-Type": "application/json", "User-Agent": "kinlink-scale/1.0"}
OTHER_FACILITY = "scale-county"


@dataclass
class Stack:
    client: object
    recorder: Recorder
    tokens: dict[str, str] = field(default_factory=dict)
    contacts: dict[tuple[str, str], str] = field(default_factory=dict)
    platform_keys: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (facility, call) authorised
    holds: list[tuple[str, str]] = field(default_factory=list)  # (family, hold)
    booked: int = 0

    def post(self, path: str, body: dict, token: str | None = None) -> dict:
        headers = {**HEADERS, "Idempotency-Key": uuid.uuid4().hex}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.http.post(path, headers=headers, body=json.dumps(body))
        assert response.status_code in (200, 201), (path, response.status_code, response.body)
        return json.loads(response.body)

    def measured(self, action) -> list[Call]:
        """The calls of ``action`` and of the worker delivering what it queued."""
        from chalicelib.core import delivery

        start = len(self.recorder.calls)
        self.recorder.recording = True
        try:
            action()
            delivery.drain()
        finally:
            self.recorder.recording = False
        return self.recorder.calls[start:]

    def sign_in(self, family: str) -> None:
        self.tokens[family] = self.post("/v1/auth/login", {"email": f"{family}@example.com",
                                                           "password": PASSWORD})["access_token"]

    def deposit(self, family: str, inmate_id: str) -> None:
        self.post("/v1/deposits", {"inmate_id": inmate_id, "account": "trust", "amount_cents": 2000,
                                   "payment_method_token": "tok_visa"}, self.tokens[family])

    def message(self, family: str, inmate_id: str) -> None:
        self.post(f"/v1/contacts/{self.contacts[(family, inmate_id)]}/messages",
                  {"body": "Thinking of you. Write back when you can."}, self.tokens[family])

    def authorize(self, family: str, inmate_id: str) -> None:
        from chalicelib.facilities.store import Inmate

        inmate = Inmate.get(inmate_id)
        answer = self.platform(inmate.facility_id, "/v1/telephony/calls/authorize", {
            "inmate_number": inmate.inmate_number, "dialed_number": phone_of(family)})
        assert answer["allowed"], answer
        self.calls.append((inmate.facility_id, answer["call_id"]))

    def end(self) -> None:
        facility_id, call_id = self.calls.pop(0)
        self.platform(facility_id, f"/v1/telephony/calls/{call_id}/end",
                      {"connected_seconds": 300, "end_cause": "hangup"})

    def platform(self, facility_id: str, path: str, body: dict) -> dict:
        response = self.client.http.post(path, body=json.dumps(body), headers={
            **HEADERS, "X-Platform-Key": self.platform_keys[facility_id]})
        assert response.status_code == 200, (path, response.status_code, response.body)
        return json.loads(response.body)

    def hold(self, family: str, inmate_id: str) -> None:
        """A video slot two days ahead, the next one each time (a family holds one at a time)."""
        from chalicelib import facilities
        from chalicelib.core import clock
        from chalicelib.facilities.store import Inmate
        from chalicelib.visits import slots

        facility = facilities.facility(Inmate.get(inmate_id).facility_id)
        tz = slots.zone(facility.timezone)
        day = slots.local_date(clock.now(), tz) + timedelta(days=2)
        policy = facilities.visit_mode(facility.rules.as_dict(), "video")
        slot = slots.slots_between(policy, facility.facility_id, tz, day, day)[len(self.holds)]
        self.holds.append((family, self.post("/v1/visits/holds", {
            "slot_id": slot.slot_id, "inmate_id": inmate_id}, self.tokens[family])["hold_id"]))

    def book(self) -> None:
        family, hold_id = self.holds[self.booked]
        self.booked += 1
        self.post("/v1/visits", {"hold_id": hold_id, "payment_method_token": "tok_visa",
                                 "visitors": [{"full_name": "Dana Scale",
                                               "date_of_birth": "1984-03-09"}]},
                  self.tokens[family])


def phone_of(family: str) -> str:
    return f"+1503555{int(family.removeprefix('family')):04d}"


FAMILIES = [f"family{n}" for n in range(6)]  # family0 warms up
# (family, inmate) per run: base, the same again, another family, another inmate of the
# facility, another facility.
ACTORS = [("family1", "inm_A1001"), ("family1", "inm_A1001"), ("family2", "inm_A1001"),
          ("family3", "inm_A1002"), ("family4", "inm_S0001")]
RUN_NAMES = ("base", "repeat", "other family", "other inmate", "other facility")


def _prepare(stack: Stack) -> None:
    from bench.bench_messaging import _approved_contact, _grant_stamps
    from chalicelib.accounts import passwords, store
    from chalicelib.contacts import ContactClaim, claim_key
    from chalicelib.contacts.call_numbers import CallNumber
    from chalicelib.contacts.states import CallNumberStatus
    from chalicelib.core import clock, delivery
    from chalicelib.core.identity import Client, Principal
    from chalicelib.facilities import platform_keys, rulebook
    from chalicelib.facilities.seed import (DEMO_FACILITY_ID, DEMO_PLATFORM_KEY, DEMO_RULES,
                                            search_key, seed_demo_facility)
    from chalicelib.facilities.store import Facility, Inmate
    from chalicelib.payments import calling

    seed_demo_facility()
    Facility(OTHER_FACILITY, name="Scale County Jail", state="VA", stamp_price_cents=39,
             kind="jail", average_daily_population=420, timezone="America/New_York",
             rules=DEMO_RULES).save()
    for facility_id in (DEMO_FACILITY_ID, OTHER_FACILITY):  # a family visits more than 3x a week
        facility = Facility.get(facility_id)
        rules = rulebook.complete(facility.rules.as_dict())
        rules["visit_policy"]["video"]["weekly_allowance"] = 10
        facility.rules = rules
        facility.save()
    stack.platform_keys = {DEMO_FACILITY_ID: DEMO_PLATFORM_KEY, OTHER_FACILITY: platform_keys.issue(
        OTHER_FACILITY, "Scale platform", by="scale")["key"]}
    Inmate("inm_S0001", facility_id=OTHER_FACILITY, inmate_number="S0001", full_name="Sam Scale",
           search_key=search_key("Sam Scale")).save()
    for family in FAMILIES:
        now = clock.iso()
        store.create_account(store.Account(
            f"acc_{family}", email=f"{family}@example.com", full_name="Pat Scale",
            email_verified=True, password_hash=passwords.hash_password(PASSWORD), created_at=now,
            password_changed_at=now))
        stack.sign_in(family)
        for inmate_id in ("inm_A1001", "inm_A1002", "inm_S0001"):
            stack.contacts[(family, inmate_id)] = _approved_contact(
                f"acc_{family}", inmate_id, f"con_{family}_{inmate_id}")
            facility = Inmate.get(inmate_id).facility_id
            _grant_stamps(f"acc_{family}", facility, 10)
            ContactClaim(claim_key(f"acc_{family}", inmate_id),
                         contact_id=stack.contacts[(family, inmate_id)]).save()
            CallNumber(inmate_id, phone_of(family), number_id=f"num_{family}_{inmate_id}",
                       account_id=f"acc_{family}", contact_id=stack.contacts[(family, inmate_id)],
                       facility_id=facility, status=CallNumberStatus.APPROVED,
                       created_at=clock.iso()).save()
        for facility in (DEMO_FACILITY_ID, OTHER_FACILITY):
            calling.deposit(Principal(f"acc_{family}", "family", "scale"),
                            Client(SOURCE_IP, "kinlink-scale/1.0"), uuid.uuid4().hex,
                            {"account": "calling", "facility_id": facility, "amount_cents": 5000,
                             "payment_method_token": "tok_visa"})
    delivery.drain()  # the receipts of the set-up are no flow's


def record_flows() -> dict[str, list[list[Call]]]:
    """Each flow's calls, once per run of ACTORS (sign-in: the first three runs)."""
    import os

    from chalice.test import Client

    from app import app
    from bench.harness import ROOT as APP_ROOT
    from bench.harness import STAGE, fresh_aws, logs_discarded
    from chalicelib.config import reset_settings
    from chalicelib.payments import processor

    import base64
    import random

    from chalicelib.core import delivery, secrets

    recorder = Recorder()
    # Journal ids (and so house stripes) from a fixed seed: whether a run opens a new house
    # account, and so writes the index, must not change from one page to the next.  Calls and
    # visits name their journals by their own ids (``secrets.new_id``).
    draw = random.Random(13)  # noqa: S311 (reproducible ids, not security)
    uuid.uuid4 = lambda: uuid.UUID(int=draw.getrandbits(128), version=4)
    secrets.new_id = lambda prefix="": prefix + base64.urlsafe_b64encode(
        draw.randbytes(16)).rstrip(b"=").decode()
    os.environ["BCRYPT_COST"] = "4"  # counts do not depend on it
    os.environ["PER_SOURCE_LIMITS"] = "on"
    reset_settings()
    flows: dict[str, list[list[Call]]] = {}
    with fresh_aws(), Client(app, stage_name=STAGE, project_dir=str(APP_ROOT)) as client, \
            logs_discarded():
        processor.use_processor(processor.TestProcessor())
        stack = Stack(client, recorder)
        _prepare(stack)
        # Warm-up in the other facility: the base run then opens its facility's day, as a first
        # deposit of the day does (the house index is written once per account and day).
        stack.deposit("family0", "inm_S0001"), stack.message("family0", "inm_S0001")
        stack.sign_in("family0")
        flows["sign-in"] = [stack.measured(lambda f=family: stack.sign_in(f))
                            for family, _ in ACTORS[:3]]
        flows["deposit"] = [stack.measured(lambda f=family, i=inmate: stack.deposit(f, i))
                            for family, inmate in ACTORS]
        flows["message"] = [stack.measured(lambda f=family, i=inmate: stack.message(f, i))
                            for family, inmate in ACTORS]
        stack.authorize("family0", "inm_S0001"), stack.end()  # warm-up, as above
        stack.hold("family0", "inm_S0001"), stack.book()
        delivery.drain()
        flows["call authorisation"] = [
            stack.measured(lambda f=family, i=inmate: stack.authorize(f, i))
            for family, inmate in ACTORS]
        flows["call end"] = [stack.measured(stack.end) for _ in ACTORS]
        flows["visit hold"] = [stack.measured(lambda f=family, i=inmate: stack.hold(f, i))
                               for family, inmate in ACTORS]
        flows["visit booking"] = [stack.measured(stack.book) for _ in ACTORS]
        processor.use_processor(None)
    return flows


# --- the scheduled jobs (findings 4, 5, 7), counted the same way -----------------------------

@dataclass
class JobCount:
    """A job's calls for two amounts of work: per item (the difference) and fixed per run."""
    small: int
    large: int
    small_calls: int
    large_calls: int
    services: dict[str, int]  # of the large run

    @property
    def per_item(self) -> float:
        return (self.large_calls - self.small_calls) / (self.large - self.small)

    @property
    def fixed(self) -> float:
        return self.small_calls - self.small * self.per_item


def record_jobs() -> dict[str, JobCount]:
    """The reminder and digest jobs, each run over a small and a large amount of due work."""
    import os

    from bench.harness import fresh_aws, logs_discarded
    from chalicelib.config import reset_settings

    recorder = Recorder()
    counts: dict[str, JobCount] = {}
    os.environ["JOB_WORKERS"] = "1"  # the recorder follows one call at a time; counts are equal
    for job, fill, run in (("reminders", _due_reminders, _run_reminders),
                           ("digests", _due_digests, _run_digests)):
        runs = []
        for amount in (10, 40):
            with fresh_aws(), logs_discarded():
                fill(amount)
                start = len(recorder.calls)
                recorder.recording = True
                try:
                    run()
                finally:
                    recorder.recording = False
                runs.append(recorder.calls[start:])
        services: dict[str, int] = defaultdict(int)
        for call in runs[1]:
            services[f"{call.service}:{call.operation}"] += 1
        counts[job] = JobCount(10, 40, len(runs[0]), len(runs[1]), dict(services))
    del os.environ["JOB_WORKERS"]
    reset_settings()
    return counts


def _due_reminders(amount: int) -> None:
    from chalicelib.accounts import reminders
    from chalicelib.accounts.store import Account
    from chalicelib.core import clock

    changed = clock.iso(clock.now() - 200 * 86400)
    with Account.batch_write() as batch:
        for n in range(amount):
            account = Account(f"acc_due{n:04d}", email=f"due{n}@example.com", full_name="Due",
                              password_hash="x", created_at=changed, password_changed_at=changed,
                              email_verified=True, preferences={"password_reminder": True})
            account.reminder_due_day = reminders.due_day(account)
            account.reminder_shard = reminders.shard_of(account.account_id)
            batch.save(account)


def _run_reminders() -> None:
    from chalicelib.accounts import reminders

    assert reminders.send_due_reminders().finished


def _due_digests(families: int) -> None:
    """``DECISIONS_PER_DIGEST`` deferred decisions for each family, from yesterday."""
    from chalicelib.accounts.store import Account
    from chalicelib.core import clock
    from chalicelib.messaging import digests, states
    from chalicelib.messaging.store import Message

    now = clock.iso()
    for n in range(families):
        Account(f"acc_fam{n:04d}", email=f"fam{n}@example.com", full_name="Fam",
                password_hash="x", created_at=now, password_changed_at=now,
                email_verified=True).save()
        for m in range(DECISIONS_PER_DIGEST):
            message = Message(f"msg_{n:04d}_{m}", contact_id=f"con_{n}", facility_id="f",
                              account_id=f"acc_fam{n:04d}", inmate_id="inm", family_name="Fam",
                              inmate_name="Inm", direction=states.TO_INMATE, body="x",
                              status=states.DELIVERED, review_key="f#delivered",
                              sent_key=f"{now}#{m}", sent_at=now)
            message.save()
            digests.defer(message)
    clock.advance(86400)


def _run_digests() -> None:
    from chalicelib.messaging import digests

    assert digests.send_due_digests().finished


def _jobs_section(jobs: dict[str, JobCount]) -> list[str]:
    from app import app
    from chalicelib.accounts import reminders
    from chalicelib.config import get_settings

    settings = get_settings()
    rates = {source.name: source.schedule_expression for source in app.event_sources
             if hasattr(source, "schedule_expression")}

    def runs_a_day(name: str) -> float:
        rate = rates[name]
        return 86400 / (rate.value * {"MINUTES": 60, "HOURS": 3600, "DAYS": 86400}[rate.unit])

    def capacity(job: JobCount, name: str) -> tuple[float, float]:
        """Items a run and a day: each item's calls at AWS_CALL_SECONDS, job_workers at once."""
        per_item = job.per_item * AWS_CALL_SECONDS / settings.job_workers
        per_run = (settings.job_run_seconds - job.fixed * AWS_CALL_SECONDS) / per_item
        return per_run, per_run * runs_a_day(name)

    reminders_due = FAMILY_ACCOUNTS / settings.password_reminder_days
    digests_due = PER_DAY["message"] / DECISIONS_PER_DIGEST
    out = ["", "## Scheduled jobs: do they keep up? (findings 4, 5, 7)", "",
           f"Counted like the flows: each job run over 10 and over 40 items due, in the "
           f"emulator; the difference gives the calls per item, the rest the fixed calls per "
           f"run. A run may work {settings.job_run_seconds} s of its function's 30, "
           f"{settings.job_workers} items at once, each call {AWS_CALL_SECONDS * 1000:.0f} ms.",
           ""]
    rows = []
    for name, job, schedule, due, unit in (
            ("password reminders", jobs["reminders"], "send_password_reminders", reminders_due,
             "reminders"),
            ("message digests", jobs["digests"], "send_message_digests", digests_due,
             "digests")):
        per_run, per_day = capacity(job, schedule)
        rows.append([name, f"every {86400 / runs_a_day(schedule) / 60:.0f} min",
                     f"{job.per_item:.2f}", f"{job.fixed:.0f}", f"{per_run:,.0f}",
                     f"{per_day:,.0f}", f"{due:,.0f} {unit}", f"{per_day / due:.0f}x"])
    out += _table(["job", "runs", "calls per item", "fixed calls per run", "items per run",
                   "items per day", "due per day (worst case)", "headroom"], rows)
    for name, job in jobs.items():
        out += ["", f"- {name} (40 due): " + ", ".join(
            f"{op} x{n}" if n > 1 else op for op, n in sorted(job.services.items()))]
    mass = FAMILY_ACCOUNTS / capacity(jobs["reminders"], "send_password_reminders")[1]
    out += ["", f"Worst cases: every one of the {FAMILY_ACCOUNTS:,} family accounts opted in "
            f"makes {reminders_due:,.0f} reminders due a day; a mass password reset would make "
            f"all of them due the same day, drained in {mass:.1f} days (the index spreads them "
            f"over {reminders.SHARDS} partitions). Every family choosing the digest, with "
            f"{DECISIONS_PER_DIGEST} decisions a day each, makes {digests_due:,.0f} digests a "
            f"day, one email instead of {DECISIONS_PER_DIGEST}. Before issue 13 the reminder job "
            "walked each day in one pass and saved its place only at the end: past a few hundred "
            "due a day it never finished.",
            "", f"Expired records (finding 4): about {EXPIRING_PER_HOUR:,} an hour. DynamoDB TTL "
            "deletes them at no charge and every read enforces the expiry, so no job runs: "
            f"the hourly clean-up it replaces would have needed {EXPIRING_PER_HOUR:,} deletes "
            f"(write units, ${EXPIRING_PER_HOUR * 24 * 30 * PRICES['DynamoDB write request unit']:,.0f} "
            "a month) plus an index write per expiring record, and deleted about 5,000 a run.",
            "", "## Reads that scale (finding 6)", "",
            f"The public directory: one sparse index partition per state (`directory_by_state`); "
            f"the largest state holds about {LARGEST_STATE_SHARE:.0%} of the {FACILITIES:,} "
            f"facilities ({FACILITIES * LARGEST_STATE_SHARE:,.0f}), so a whole walk of it reads "
            "that partition only, and answers carry `Cache-Control: public, max-age=300` for "
            "browsers, CloudFront or API Gateway's cache. Before: one key (`listed`) for the "
            "country, read whole by every walk. The review queue: each reviewer claims a batch "
            "from the sparse `by_review_pool` index (pending messages only), one key read and "
            "one conditional write per message claimed, so reviewers never share a page."]
    return out


# --- from one run of each flow to the issue's scale ---------------------------------------------

def peak_rate(flow: str) -> float:
    """Requests a second in the peak hour."""
    return PER_DAY[flow] * PEAK_HOUR_SHARE / 3600


_RELEASE_STRIPE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}#\d{2}$")
# A day of the house accounts' index, a facility's rules stamp: both on MONEY_STRIPES stripes.
_MONEY_STRIPE = re.compile(r"^(\d{4}-\d{2}-\d{2}|demo-county|" + OTHER_FACILITY + r")#\d{2}$")


def _house_stripe(partition: str) -> tuple[str, float]:
    """A striped house account stands for its facility's accounts, 1/MONEY_STRIPES each (so do a
    striped day of their index and a rules stamp); a striped hour of the open-calls index for
    that hour's keys, 1/RELEASE_STRIPES each."""
    from chalicelib.calls.service import RELEASE_STRIPES
    from chalicelib.core.store import MONEY_STRIPES
    from chalicelib.payments.ledger import parse_house_account

    if _RELEASE_STRIPE.match(partition):
        return partition.rsplit("#", 1)[0] + "#<stripe>", 1 / RELEASE_STRIPES
    if parse_house_account(partition) is None and not _MONEY_STRIPE.match(partition):
        return partition, 1.0
    return partition.rsplit("#", 1)[0] + "#<stripe>", 1 / MONEY_STRIPES


def classify(runs: list[list[Call]]) -> dict[tuple[str, str | None, str], str]:
    """Each partition the base run touched -> who shares it, from the runs of ACTORS."""
    from chalicelib.core import secrets

    address = secrets.keyed_digest(SOURCE_IP, "source-address")
    seen = [{(t.table, t.index, _timeless(t.partition)) for c in run for t in c.touches}
            for run in runs]
    kinds = {}
    for key in seen[0]:
        if address in key[2]:
            kinds[key] = "source address"
        elif _ONLY_TIME.fullmatch(key[2]):  # a day or an hour (and a stripe): no one's own
            kinds[key] = "everyone"
        elif not any(key in later for later in seen[1:]):  # no other run met it: a new id
            kinds[key] = "request"
        elif len(seen) == 3:  # sign-in: the family is all that varies
            kinds[key] = "everyone" if key in seen[2] else "family account"
        elif key in seen[4]:
            kinds[key] = "everyone"
        elif key in seen[3]:
            kinds[key] = "facility"
        elif key in seen[2]:
            kinds[key] = "inmate"
        else:
            kinds[key] = "family account"
    return kinds


_ONLY_TIME = re.compile(r"(<day>|<hour>)(#<stripe>)?")


def _timeless(partition: str) -> str:
    """The partition with its stripe, hour and day left out: runs a second apart across an hour
    or a day share the same keys."""
    partition = _house_stripe(partition)[0]
    for regex, placeholder in _PATTERNS[:2]:
        partition = regex.sub(placeholder, partition)
    return partition


def share_of(kind: str) -> float:
    """The share of a flow's requests that reach the hottest key of this kind."""
    return {"everyone": 1.0, "facility": HOTTEST_FACILITY_PEOPLE / PEOPLE_HELD,
            "inmate": PERSON_SKEW / PEOPLE_HELD, "family account": PERSON_SKEW / FAMILY_ACCOUNTS,
            "source address": HOTTEST_ADDRESS_SHARE, "request": 0.0}[kind]


_PATTERNS = [(re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}"), "<hour>"), (re.compile(r"\d{4}-\d{2}-\d{2}"), "<day>"),
             (re.compile(r"acc_family\d"), "<account>"), (re.compile(r"family\d@example\.com"), "<email>"),
             (re.compile(r"con_family\d_inm_\w+"), "<contact>"), (re.compile(r"inm_[A-Z]\d+"), "<inmate>"),
             (re.compile(r"\+1503555\d{4}"), "<phone>"),
             (re.compile(r"demo-county|" + OTHER_FACILITY), "<facility>"),
             (re.compile(r"[0-9a-f]{32,}"), "<digest>"), (re.compile(r"^[a-z]{3}_[\w-]{16,}$"), "<id>"),
             (re.compile(r"^[\w-]{22}$"), "<session>")]


def pattern(partition: str, kind: str) -> str:
    if kind == "request":
        return "<new id per request>"
    partition = _house_stripe(partition)[0]
    for regex, placeholder in _PATTERNS:
        partition = regex.sub(placeholder, partition)
    return partition


@dataclass
class HotKey:
    table: str
    index: str | None
    key: str
    kind: str
    wcu: float = 0.0  # per second at peak, on the hottest key of this kind
    rcu: float = 0.0
    flows: set[str] = field(default_factory=set)

    @property
    def load(self) -> float:
        return max(self.wcu / PARTITION_WCU, self.rcu / PARTITION_RCU)


def hot_keys(flows: dict[str, list[list[Call]]], surge: float = 1.0) -> dict[tuple, HotKey]:
    found: dict[tuple, HotKey] = {}
    for flow, runs in flows.items():
        kinds = classify(runs)
        for call in runs[0]:
            for touch in call.touches:
                stripe_share = _house_stripe(touch.partition)[1]
                kind = kinds[(touch.table, touch.index, _timeless(touch.partition))]
                key = (touch.table, touch.index, pattern(touch.partition, kind))
                hot = found.setdefault(key, HotKey(*key, kind))
                rate = peak_rate(flow) * surge * share_of(kind) * stripe_share
                if kind == "request":
                    rate = 1.0  # one request's own item: its units once, call it a second
                if touch.write:
                    hot.wcu += rate * touch.units
                else:
                    hot.rcu += rate * touch.units
                hot.flows.add(flow)
    return found


@dataclass
class FlowCost:
    flow: str
    wru: float
    rru: float
    calls: dict[str, int]
    request_calls: int
    worker_calls: int
    notifications: int

    @property
    def seconds(self) -> float:
        bcrypt = BCRYPT_VCPU_SECONDS if self.flow == "sign-in" else 0.0
        return bcrypt + OWN_SECONDS + self.request_calls * AWS_CALL_SECONDS

    @property
    def worker_seconds(self) -> float:
        return self.notifications * OWN_SECONDS + self.worker_calls * AWS_CALL_SECONDS

    def dollars(self) -> dict[str, float]:
        """What one request costs, by service."""
        lambda_requests = 1 + self.notifications
        memory_gb = SIGN_IN_MEMORY_MB / 1024 if self.flow == "sign-in" else LAMBDA_MEMORY_GB
        gb_seconds = self.seconds * memory_gb + self.worker_seconds * LAMBDA_MEMORY_GB
        return {
            "DynamoDB": self.wru * PRICES["DynamoDB write request unit"]
            + self.rru * PRICES["DynamoDB read request unit"],
            "Lambda": lambda_requests * PRICES["Lambda request"]
            + gb_seconds * PRICES["Lambda GB-second (x86)"],
            "API Gateway": PRICES["API Gateway REST request"],
            "SQS": self.calls.get("sqs", 0) * PRICES["SQS request (64 KB)"],
            "SES": self.calls.get("email", 0) * PRICES["SES email"],
            "SMS": self.calls.get("sns", 0) * PRICES[SMS_PRICE_KEY],
            "KMS": self.calls.get("kms", 0) * PRICES["KMS request"],
        }


def flow_cost(flow: str, calls: list[Call]) -> FlowCost:
    """The worker's part starts at its first ReceiveMessage (``Stack.measured`` drains after)."""
    first_receive = next((n for n, c in enumerate(calls) if c.operation == "ReceiveMessage"),
                         len(calls))
    per_service: dict[str, int] = defaultdict(int)
    for call in calls:
        per_service[call.service] += 1
    touches = [t for c in calls for t in c.touches]
    return FlowCost(flow, sum(t.units for t in touches if t.write),
                    sum(t.units for t in touches if not t.write), dict(per_service),
                    first_receive, len(calls) - first_receive,
                    sum(c.operation == "SendMessage" for c in calls[:first_receive]))


def conflict_share(rate_per_item: float) -> float:
    """A transaction conflicts when another one on a shared item arrived less than a window
    before it (Poisson arrivals): 1 - exp(-rate x window)."""
    return 1 - math.exp(-rate_per_item * WINDOW_SECONDS)


# --- the page ---------------------------------------------------------------------------------

def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def _money(value: float) -> str:
    return f"${value:,.2f}" if value >= 1 else f"${value:.4f}"


def _schema_rows(hot: dict[tuple, HotKey]) -> list[list]:
    from chalicelib.core import lazy
    from chalicelib.core.store import MODELS

    lazy.load_registrations()  # every model; the order they loaded in varies, the page's does not
    rows = []
    for model in sorted(MODELS, key=lambda model: model.Meta.table_name):
        table = model.Meta.table_name
        keys = [a for a in model.get_attributes().values() if a.is_hash_key or a.is_range_key]
        key = " + ".join(a.attr_name for a in sorted(keys, key=lambda a: not a.is_hash_key))
        targets = [(None, key)] + [
            (index.Meta.index_name, next(a.attr_name for a in index.Meta.attributes.values()
                                         if a.is_hash_key))
            for index in model._indexes.values()] if hasattr(model, "_indexes") else [(None, key)]
        for index_name, partition_key in targets:
            found = [h for (t, i, _), h in hot.items() if t == table and i == index_name]
            name = table.split("-", 2)[2] + (f" / {index_name}" if index_name else "")
            if not found:
                rows.append([name, partition_key, "not on these flows", "", "", ""])
                continue
            shared = [h for h in found if h.kind != "request"]
            top = max(shared or found, key=lambda h: h.load)
            who = "one per request" if top.kind == "request" else f"shared by: {top.kind}"
            rows.append([name, partition_key, f"`{top.key}` ({who})", f"{top.wcu:.3g}",
                         f"{top.rcu:.3g}", f"{100 * top.load:.2f}%" if top.load >= 1e-4 else "< 0.01%"])
    return rows


def render(flows: dict[str, list[list[Call]]], jobs: dict[str, JobCount]) -> str:
    from chalicelib.core.store import MONEY_STRIPES

    costs = {flow: flow_cost(flow, runs[0]) for flow, runs in flows.items()}
    hot = hot_keys(flows)
    out = ["# Kinlink at the incumbents' scale (generated)", "",
           "Generated by `make scale-doc` (`bench/scale_model.py`) from the AWS calls the code "
           "makes; do not edit by hand (`tests/test_scale_doc.py` fails when it is stale). "
           "Issue 13 asked for it; the method is in the script's docstring.", "",
           "## The scale", ""]
    out += _table(["", "per day", "peak hour, per second"], [
        ["people held", f"{PEOPLE_HELD:,} in ~{FACILITIES:,} facilities (busiest: "
                        f"{HOTTEST_FACILITY_PEOPLE:,})", ""],
        ["family accounts", f"{FAMILY_ACCOUNTS:,}", ""],
        *[[flow + "s", f"{PER_DAY[flow]:,}", f"{peak_rate(flow):.1f} (peak minute "
                                             f"{peak_rate(flow) * PEAK_MINUTE_FACTOR:.0f})"]
          for flow in PER_DAY]])
    out += ["", f"Peak hour: {PEAK_HOUR_SHARE:.0%} of the day. The busiest person does "
            f"{PERSON_SKEW}x the average of their kind; the busiest source address carries "
            f"{HOTTEST_ADDRESS_SHARE:.0%} of sign-ins.", "",
            "## What one request costs (counted)", "",
            "Capacity units by DynamoDB's rules from the items' sizes in the emulator; the "
            "notification worker's share (draining the queue once) included.", ""]
    out += _table(["flow", "AWS calls (request + worker)", "write units", "read units",
                   "SQS", "SES", "SMS"], [
        [flow, f"{c.request_calls} + {c.worker_calls}", f"{c.wru:g}", f"{c.rru:g}",
         c.calls.get("sqs", 0), c.calls.get("email", 0), c.calls.get("sns", 0)]
        for flow, c in costs.items()])
    for flow, runs in flows.items():
        operations = defaultdict(int)
        for call in runs[0]:
            operations[f"{call.service}:{call.operation}"] += 1
        out += ["", f"- {flow}: " + ", ".join(f"{op} x{n}" if n > 1 else op
                                              for op, n in operations.items())]
    out += ["", "## Tables and indexes: the hottest partition at peak", "",
            f"Per partition DynamoDB allows {PARTITION_WCU:,} write and {PARTITION_RCU:,} read "
            "units a second. The hottest key of each table or index on these flows, in "
            "units a second at the peak hour (one new item per request counts as its own "
            "units once); `load` is the larger share of the two limits. A key shared by "
            "everyone grows with the whole traffic; one per facility with the busiest "
            "facility's.", ""]
    out += _table(["table / index", "partition key", "hottest key", "WCU/s",
                   "RCU/s", "load"], _schema_rows(hot))
    hottest = max((h for h in hot.values() if h.kind != "request"), key=lambda h: h.load)
    out += ["", f"Hottest of all: `{hottest.key}` in {hottest.table.split('-', 2)[2]}"
            f"{' / ' + hottest.index if hottest.index else ''} at {100 * hottest.load:.1f}% of "
            f"a partition at the peak hour, {100 * hottest.load * 20:.0f}% in a 20x surge."]
    out += _concurrency_section(costs)
    out += ["", "## Cost per million requests", "",
            f"On-demand list prices, us-east-1, as known on {PRICED_ON}: " + "; ".join(
                f"{name} ${price:g}" for name, price in PRICES.items()) + ".", ""]
    services = list(next(iter(costs.values())).dollars())
    rows, month = [], {}
    for flow, c in costs.items():
        dollars = c.dollars()
        month[flow] = {s: v * PER_DAY[flow] * 30 for s, v in dollars.items()}
        rows.append([flow] + [_money(dollars[s] * 1e6) for s in services]
                    + [_money(sum(dollars.values()) * 1e6)])
    for flow, first in PAIRED.items():
        both = {s: costs[first].dollars()[s] + costs[flow].dollars()[s] for s in services}
        rows.append([f"**{flow}, with its {first}**"] + [_money(both[s] * 1e6) for s in services]
                    + [f"**{_money(sum(both.values()) * 1e6)}**"])
    out += _table(["per million"] + services + ["total"], rows)
    monthly = sum(sum(m.values()) for m in month.values())
    notices = sum(m["SES"] + m["SMS"] + m["SQS"] for m in month.values())
    out += ["", f"A month of these flows at the issue's volumes: {_money(monthly)} "
            f"({_money(monthly / FAMILY_ACCOUNTS)} per family account); notifications (SES, "
            f"SMS, their queue) {notices / monthly:.0%} of it. Storage, logs, other routes and "
            "data transfer are not in it."]
    out += _calls_and_visits_section(flows, hot)
    out += _house_section(MONEY_STRIPES)
    out += _jobs_section(jobs)
    out += _checks(costs, hot, monthly, notices)
    return "\n".join(out) + "\n"


def _concurrency_section(costs: dict[str, FlowCost]) -> list[str]:
    """Concurrency per function at peak, and the edge's limits that ``scripts/cfn_edge.py``
    puts in the template (``bench/edge_model.py``)."""
    from bench import edge_model
    from scripts.cfn_edge import BCRYPT_ROUTES, SIGN_IN_FUNCTION_NAME

    out = ["", "## Lambda concurrency at peak", "",
           f"Concurrency = requests a second x seconds each. Seconds are modelled, not timed: "
           f"bcrypt cost 12 takes {BCRYPT_VCPU_SECONDS:.2f} s on the whole vCPU of the "
           f"{SIGN_IN_MEMORY_MB:,} MB sign-in function (`{SIGN_IN_FUNCTION_NAME}`, the "
           f"{len(BCRYPT_ROUTES)} bcrypt routes; every other route runs on the "
           f"{LAMBDA_MEMORY_GB * 1024:.0f} MB API function), each AWS call "
           f"{AWS_CALL_SECONDS * 1000:.0f} ms, our own code {OWN_SECONDS * 1000:.0f} ms.", ""]
    rows, total = [], 0.0
    for flow, c in costs.items():
        api = peak_rate(flow) * c.seconds
        worker = peak_rate(flow) * c.worker_seconds
        total += api + worker
        function = "sign-in" if flow == "sign-in" else "API"
        rows.append([flow, function, f"{c.seconds:.3f}", f"{api:.1f}", f"{worker:.2f}"])
    out += _table(["flow", "function", "seconds per request", "concurrency", "worker"], rows)
    calls = costs["sign-in"].request_calls
    if calls > edge_model.BCRYPT_ROUTE_CALL_BUDGET:
        raise SystemExit(f"sign-in makes {calls} AWS calls, over bench/edge_model.py's budget")
    reserved = edge_model.reserved_concurrency(BCRYPT_ROUTES)
    out += ["", f"Total at the peak hour: {total:.0f} concurrent executions; in a peak minute "
            f"{total * PEAK_MINUTE_FACTOR:.0f} (the account's default limit is "
            f"{edge_model.ACCOUNT_CONCURRENCY:,})."]
    peaks = edge_model.route_peaks(BCRYPT_ROUTES)
    out += ["", "## The edge: throttles, the sign-in function, WAF", "",
            f"`bench/edge_model.py`, put in the template by `scripts/cfn_edge.py`: each limit is "
            f"{edge_model.HEADROOM}x the route's expected peak minute, rounded up to "
            f"{edge_model.STEP}. Assumed, not counted: every person held signs in at a kiosk "
            f"{edge_model.KIOSK_SIGN_INS_PER_PERSON}x a day; each other bcrypt route sees "
            f"{edge_model.OTHER_BCRYPT_SHARE:.0%} of the family sign-ins; any other route is "
            f"called {edge_model.CALLS_PER_ROUTE_PER_SIGN_IN}x per sign-in; a session makes "
            f"{edge_model.REQUESTS_PER_SIGN_IN} requests.", ""]
    rows = [[f"{method} {path}", f"{peak:.1f}", edge_model.limit(peak),
             "sign-in" if (method, path) in BCRYPT_ROUTES else "API"]
            for (method, path), peak in sorted(peaks.items(), key=lambda item: -item[1])]
    rows.append(["any other route", f"{edge_model.default_peak():.1f}",
                 edge_model.limit(edge_model.default_peak()), "API"])
    out += _table(["route", "peak minute, /s", "throttle (rate = burst), /s", "function"], rows)
    addresses = edge_model.address_limits()
    out += ["", f"The sign-in function's reserved concurrency: every bcrypt route at its throttle "
            f"at once x {edge_model.bcrypt_seconds():.3f} s (bcrypt, our code and a budget of "
            f"{edge_model.BCRYPT_ROUTE_CALL_BUDGET} AWS calls; sign-in makes {calls}) = "
            f"**{reserved}**, leaving {edge_model.ACCOUNT_CONCURRENCY - reserved:,} of the "
            "account's default for the rest. WAF, per client address and "
            f"{edge_model.WAF_WINDOW_SECONDS // 60} minutes (the busiest address carries "
            f"{HOTTEST_ADDRESS_SHARE:.0%} of sign-ins): **{addresses['sign-in']:,}** requests to "
            f"the sign-in and bcrypt routes, **{addresses['all']:,}** in all."]
    return out


SURGE_SHOWN = (1, PEAK_MINUTE_FACTOR, 5, 20)
CALL_AND_VISIT_FLOWS = ("call authorisation", "call end", "visit hold", "visit booking")


def _calls_and_visits_section(flows: dict[str, list[list[Call]]], hot: dict) -> list[str]:
    """Every shared key the call and visit flows write or read, at peak and in surges; the
    open-calls index also as it was before its stripes."""
    from chalicelib.calls.service import RELEASE_STRIPES
    from chalicelib.core.store import MONEY_STRIPES

    ours = {key: h for key, h in hot.items() if h.kind != "request"
            and h.flows & set(CALL_AND_VISIT_FLOWS) and h.load >= 1e-3}
    rows = []
    for (table, index, _), h in sorted(ours.items(), key=lambda item: -item[1].load):
        name = table.split("-", 2)[2] + (f" / {index}" if index else "")
        rows.append([name, f"`{h.key}`", h.kind, ", ".join(sorted(h.flows)),
                     *(f"{100 * h.load * surge:.1f}%" for surge in SURGE_SHOWN)])
        if index == "by_release_hour":
            rows.append([name + " (one key per hour, before)", "`<hour>`", h.kind,
                         ", ".join(sorted(h.flows)),
                         *(f"**{100 * h.load * RELEASE_STRIPES * surge:.0f}%**"
                           if h.load * RELEASE_STRIPES * surge >= 1 else
                           f"{100 * h.load * RELEASE_STRIPES * surge:.1f}%"
                           for surge in SURGE_SHOWN)])
    over = [h for h in ours.values() if h.load * max(SURGES) >= 1]
    return ["", "## Calls and visits: the keys they share", "",
            f"{PER_DAY['call end']:,} call ends a day (the issue), each authorised first; "
            f"{PER_DAY['visit booking']:,} visit bookings a day (our choice: about one visit a "
            "week per person held), each held first. Every shared key these four flows touch at "
            "over 0.1% of a partition at the peak hour, as a share of the partition's limits "
            f"at the peak hour, in a peak minute ({PEAK_MINUTE_FACTOR}x), on a holiday (5x) and "
            "in a 20x surge:", ""] + _table(
        ["table / index", "key", "shared by", "flows", "peak hour", "peak minute", "5x", "20x"],
        rows) + [
        "", "Every authorisation puts its call in the sparse open-calls index (keys only, by "
        "the hour its hold lapses) and every end takes it out: with one key per hour, all of "
        f"an hour's {2 * peak_rate('call end'):.0f} writes a second at the peak hour "
        "landed on one partition, over DynamoDB's 1,000 on a holiday, and the index's "
        "throttling would throttle the calls table's writes, authorisations and ends alike. "
        f"Each hour is now split into {RELEASE_STRIPES} stripes from the call id "
        "(`<hour>#<stripe>`, `chalicelib/calls/service.py`); the release job reads every "
        f"stripe of the hours that passed ({RELEASE_STRIPES} Queries an hour instead of one, "
        "docs/decisions/call-release-stripes.md). "
        + ("No other key of these flows comes near a partition's limits, even at 20x."
           if not [h for h in over if h.index != "by_release_hour"] else
           "Still over at 20x: " + ", ".join(
               f"`{h.key}` ({h.table.split('-', 2)[2]}{' / ' + h.index if h.index else ''})"
               for h in over if h.index != "by_release_hour") + "."),
        "", "The `house_by_day` row is the upper bound explained below, but one the calls make "
        "real: each facility's house accounts open on the first payments of the UTC day "
        "(7 pm in New York, a busy calling hour), so for the first minutes of every day nearly "
        "every call end writes the index. With the day alone as its key that was one "
        "partition at the whole country's rate; it is now keyed by day and stripe "
        f"(`<day>#<stripe>`, the account's own stripe of {MONEY_STRIPES}), and the roll-up "
        f"Queries the {MONEY_STRIPES} stripes of each day.",
        "", "Transaction conflicts of these flows, measured: `bench/bench_conflicts.py` (below) "
        "drives calls (authorise + end) and visits (hold + booking, four families racing for "
        "the places of the same slots) besides deposits."]


def _house_rates(surge: float, stamps: float) -> tuple[float, float]:
    """Money transactions a second at the peak hour: (whole system, busiest facility)."""
    whole = peak_rate("deposit") * (1 + stamps) * surge
    return whole, whole * HOTTEST_FACILITY_PEOPLE / PEOPLE_HELD


def _house_section(stripes: int) -> list[str]:
    rows = []
    for surge in SURGES:
        old = [conflict_share(_house_rates(surge, s)[0] / 16) for s in STAMP_PURCHASES_PER_DEPOSIT]
        one = [conflict_share(_house_rates(surge, s)[1]) for s in STAMP_PURCHASES_PER_DEPOSIT]
        new = [conflict_share(_house_rates(surge, s)[1] / stripes) for s in STAMP_PURCHASES_PER_DEPOSIT]
        rows.append([f"{surge}x", *(f"{100 * a:.2f}–{100 * b:.2f}%" for a, b in (old, one, new))])
    return ["", "## House accounts (finding 1)", "",
            "Every deposit, refund and stamp purchase posts to house accounts (card clearing, "
            "deposit fees, stamp sales) inside its transaction. Before issue 13 card clearing "
            "was one global account in 16 shards picked at random: every facility's payments "
            "met on 16 items. Now each house account belongs to one facility and one UTC day "
            f"(`card_clearing#<facility>#<day>#<stripe>`), on one of {stripes} stripes picked "
            "from the journal id (a journal's house accounts share its stripe, so two "
            "transactions meet on all of them or none). An hourly job rolls each day's house "
            "accounts up into one `house-days` item (Queries of the sparse keys-only index "
            "`house_by_day`, one per stripe of the day, then BatchGetItem: it costs the day's "
            "accounts, never the history); `make audit` checks every closed day against the "
            "entries, every journal "
            "sums to zero and every balance equals its entries. Local data in the old names "
            "needs no migration: the local stack's emulator is in memory and the seed recreates "
            "it; the audit still checks old-named accounts like any other.", "",
            "The `house_by_day` row above is an upper bound: a measured payment (deposit, call "
        "end, visit booking) that was the first of its house accounts' day wrote the index, and "
        "every one of its flow is counted so; in "
        f"fact an account enters the index once a day, at most {FACILITIES:,} facilities x 3 "
        f"kinds x {stripes} stripes = {FACILITIES * 3 * stripes:,} index writes a day, and the "
        "roll-up reads as many keys.", "",
        f"Share of money transactions that conflict (a {WINDOW_SECONDS * 1000:.0f} ms "
            "window, Poisson arrivals: 1 - exp(-rate per item x window); the range runs from "
            "no stamp purchases to one per deposit), for the busiest facility:", ""] + _table(
        ["surge", "global, 16 shards (before)", "per facility, one item",
         f"per facility, {stripes} stripes (now)"], rows) + [
        "", f"One item per facility and day would do at the peak hour, not in a storm, where "
        "retried deposits would fail after the card was authorised. 16 stripes would keep the "
        "busiest facility's one-shot share under 1% at 20x; the benchmark below (20 writers "
        "on 5 facilities, 3.6 transactions a second each, 1.3x the busiest facility's 20x "
        f"storm) met 1.2% with 16 once retries and bunched arrivals count, hence {stripes}. "
        f"The cost: at most {FACILITIES:,} x 3 x {stripes} house accounts a day for the "
        "roll-up to read.", "",
        "## Transaction conflicts, measured (`bench/bench_conflicts.py`)", "",
        "`make bench` (or `python -m bench.bench_conflicts`) drives 20 concurrent writers "
        "across 5 facilities (4 each, each a family with its own inmate) over HTTP against the "
        "live stack, once with today's house accounts and once with the old global ones "
        "(selectable only inside the benchmark; call and visit revenue then global too), "
        "through three workloads: deposits; calls (the facility's platform authorises a call "
        "to the family, paid from its calling balance, and ends it); visits (each family holds "
        "then books paid video visits on the same few slots as the facility's other families, "
        "racing them for the places). It reports, per workload and design, the share of "
        "write transactions cancelled by a conflict, the retries, operations lost, and the "
        f"audit afterwards. Target rates: deposits {_bench_rates()[0]:.0f}/s; calls "
        f"{_bench_rates()[1]:.0f}/s (each facility as the busiest at 5x its peak hour; a "
        "retried end writes nothing, so no 20x storm of ends), two transactions each; visits "
        f"{_bench_rates()[2]:.0f}/s (5x the country's peak hour on 5 facilities), two "
        "transactions each.", "",
        "What the emulator can and cannot show: it applies one request at a time, so it never "
        "produces a conflict by itself. `bench/conflicts.py` puts DynamoDB's item locks in "
        "front of it: a write transaction holds its items for a window, and any transaction "
        "touching one of them meanwhile gets DynamoDB's `TransactionCanceledException` with "
        "`TransactionConflict`, which the app retries as in AWS. Which transactions arrive, "
        "in which order, on which items, and the retries are real; their timing is not (a "
        "local stack is far slower than AWS and bunches requests), so the model gives write "
        "transactions Poisson arrival times at 18 deposits a second (20 clients each waiting "
        "about a second for a card authorisation; about the issue's whole peak, here on 5 "
        "facilities). It cannot show DynamoDB's real window or latency, throttling, or "
        "conflicts between a transaction and a plain write; the window is the one parameter, "
        f"{WINDOW_SECONDS * 1000:.0f} ms. At that load the model predicts "
        f"{100 * _bench_prediction(16, True):.1f}% for the old design and "
        f"{100 * _bench_prediction(stripes, False):.2f}% for the new one. A few hundred live "
        "deposits meet only a handful of conflicts, so the benchmark also replays the recorded "
        "transactions 50 times on fresh clocks, with `core.store`'s retries (the goal is on "
        "that share; the live one is printed beside it). Retried transactions add load, so "
        "the replayed share sits a little above the one-shot formula."]


def _bench_rates() -> tuple[float, float, float]:
    from bench import bench_conflicts

    return (bench_conflicts.TARGET_DEPOSITS_PER_SECOND, bench_conflicts.TARGET_CALLS_PER_SECOND,
            bench_conflicts.TARGET_VISITS_PER_SECOND)


def _bench_prediction(stripes: int, global_design: bool) -> float:
    from bench.bench_conflicts import FACILITIES as BENCH_FACILITIES
    from bench.bench_conflicts import TARGET_DEPOSITS_PER_SECOND, predicted_share

    design = "global (baseline)" if global_design else "per facility"
    return predicted_share(design, TARGET_DEPOSITS_PER_SECOND / BENCH_FACILITIES)


def _checks(costs: dict[str, FlowCost], hot: dict, monthly: float, notices: float) -> list[str]:
    over = [h for h in hot.values() if h.kind != "request" and h.load >= 1]
    old_peak = [conflict_share(_house_rates(1, s)[0] / 16) for s in STAMP_PURCHASES_PER_DEPOSIT]
    return ["", "## The issue's figures, checked", "",
            f"- Sign-in at {peak_rate('sign-in'):.0f}/s in the peak hour and "
            f"{peak_rate('sign-in') * PEAK_MINUTE_FACTOR:.0f}/s in a peak minute: confirmed "
            "(2,000,000 x 10% / 3,600 s; the minute at three times the hour's average).",
            f"- Global house balances: {100 * old_peak[0]:.1f}–{100 * old_peak[1]:.1f}% of money "
            "transactions conflicting at the peak hour (5x and 20x in the table above): "
            "confirmed; the issue's figures follow from the same 30 ms window and from counting "
            "stamp purchases from none to one per deposit.",
            "- \"No partition over DynamoDB's limits today\": "
            + ("confirmed for these flows." if not over else
               "corrected: " + ", ".join(f"`{h.key}`" for h in over) + " exceed a partition."),
            f"- The bill: these flows come to {_money(monthly)} a month, "
            f"{_money(monthly / FAMILY_ACCOUNTS)} per family account, notifications "
            f"{notices / monthly:.0%} of it. The issue's ~$20,000 a month, $0.004 per account "
            "and 48% counted every route and SMS codes (and no calls or visits); this page counts "
            "seven flows as the code makes them today, so read it as the floor of the bill, "
            "not a correction."]


def main(argv: list[str]) -> int:
    from bench.harness import prepare_environment

    prepare_environment()
    page = render(record_flows(), record_jobs())
    if "--write" in argv:
        DOC.write_text(page)
        print(f"wrote {DOC.relative_to(ROOT)}")
    elif "--check" in argv:
        if not DOC.exists() or DOC.read_text() != page:
            import difflib

            print(f"{DOC.relative_to(ROOT)} is stale: run `make scale-doc`")
            print("".join(difflib.unified_diff(DOC.read_text().splitlines(True) if DOC.exists()
                                               else [], page.splitlines(True), n=0)))
            return 1
    else:
        print(page)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
