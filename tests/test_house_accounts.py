"""House accounts per facility and day (issue 13, finding 1): no balance item is shared by
transactions of two facilities; the scheduled roll-up gives the operator the house totals the
entries make; the audit proves balances, journals and closed roll-up days."""
from __future__ import annotations

import uuid
from collections import Counter, defaultdict

import pytest

from chalicelib.core import clock
from chalicelib.core.identity import Client, Principal
from chalicelib.core.store import MODELS, transaction_connection, write_together
from chalicelib.payments import deposits, ledger, stamp_purchases
from chalicelib.payments.audit import audit
from chalicelib.payments.house import HOUSE, HouseDay, house_totals, roll_up_recent
from chalicelib.payments.ledger import LedgerBalance, LedgerEntry, parse_house_account
from tests.money_fixtures import (DEMO_FACILITY_ID, OTHER_FACILITY_ID, card, deposit_body,  # noqa: F401
                                  facilities)

CLIENT = Client("203.0.113.5", "pytest-house")
FACILITY_OF = {"inm_A1001": DEMO_FACILITY_ID, "inm_A1002": DEMO_FACILITY_ID,
               "inm_B2001": OTHER_FACILITY_ID}


def family(n: int) -> Principal:
    return Principal(f"acc_house_{n}", "family", f"session_{n}")


@pytest.fixture
def transactions(api):
    """Every item key of every TransactWriteItems sent, one set per transaction."""
    sent: list[set[tuple[str, str]]] = []
    key_names = {model.Meta.table_name: [attribute.attr_name for attribute in
                                         model.get_attributes().values()
                                         if attribute.is_hash_key or attribute.is_range_key]
                 for model in MODELS}

    def record(params, **_):
        items = set()
        for item in params["TransactItems"]:
            [(_, body)] = item.items()
            values = body.get("Key") or body["Item"]
            key = tuple(next(iter(values[name].values())) for name in key_names[body["TableName"]])
            items.add((body["TableName"], "|".join(key)))
        sent.append(items)

    events = transaction_connection().client.meta.events
    events.register("provide-client-params.dynamodb.TransactWriteItems", record, "house-test")
    yield sent
    events.unregister("provide-client-params.dynamodb.TransactWriteItems",
                      unique_id="house-test")


def deposit(n: int, inmate_id: str, cents: int = 2000) -> str:
    return deposits.deposit(family(n), CLIENT, uuid.uuid4().hex,
                            deposit_body(inmate_id, cents)).body()["deposit_id"]


def buy_stamps(n: int, facility_id: str, quantity: int = 5) -> str:
    body = {"facility_id": facility_id, "quantity": quantity, "payment_method_token": "tok_visa"}
    return stamp_purchases.purchase(family(n), CLIENT, uuid.uuid4().hex, body).body()["purchase_id"]


def house_accounts_of(journal_id: str) -> set[str]:
    return {entry.account for entry in LedgerEntry.scan(LedgerEntry.journal_id == journal_id)
            if parse_house_account(entry.account) is not None}


def test_two_facilities_transactions_touch_disjoint_items(api, facilities, card, transactions):
    by_facility = defaultdict(set)
    for n, inmate_id in enumerate(["inm_A1001", "inm_B2001", "inm_A1002", "inm_B2001"] * 3):
        facility_id = FACILITY_OF[inmate_id]
        before = len(transactions)
        journal = deposit(n, inmate_id)
        house = house_accounts_of(journal)
        assert {parse_house_account(a).facility_id for a in house} == {facility_id}
        assert len({a.rsplit("#", 1)[1] for a in house}) == 1, "one stripe per journal"
        assert {parse_house_account(a).kind for a in house} == {"card_clearing", "deposit_fees"}
        [touched] = transactions[before:]
        by_facility[facility_id] |= touched
    for n, facility_id in enumerate([DEMO_FACILITY_ID, OTHER_FACILITY_ID] * 2, start=100):
        before = len(transactions)
        buy_stamps(n, facility_id)
        [touched] = transactions[before:]
        by_facility[facility_id] |= touched
    shared = by_facility[DEMO_FACILITY_ID] & by_facility[OTHER_FACILITY_ID]
    assert shared == set(), "no item is written by transactions of both facilities"
    house_items = {key for keys in by_facility.values() for table, key in keys
                   if table.endswith("ledger-balances") and parse_house_account(key)}
    assert len(house_items) >= 4  # both kinds, both facilities, at least one stripe each
    assert audit().ok


def entries_by_kind() -> Counter:
    totals: Counter = Counter()
    for entry in LedgerEntry.scan():
        house = parse_house_account(entry.account)
        if house is not None:
            totals[house.kind] += int(entry.amount_cents)
    return totals


def test_roll_up_gives_the_entries_totals_and_closes_each_day_once(api, facilities, card):
    deposit(1, "inm_A1001", 5000)
    refunded = deposit(2, "inm_B2001", 3000)
    buy_stamps(3, OTHER_FACILITY_ID, 10)
    staff = Principal("acc_staff_b", "staff", "s", OTHER_FACILITY_ID)
    deposits.refund(staff, refunded, "sent by mistake")
    first_day = clock.iso()[:10]

    [yesterday, today] = roll_up_recent()
    assert (yesterday.accounts, today.day) == (0, first_day) and not today.closed
    assert house_totals() == dict(entries_by_kind())
    assert house_totals()["card_clearing"] == -card.net_cents()  # what the cards still owe us
    assert sum(house_totals().values()) + sum(
        b.balance_cents for b in LedgerBalance.scan() if b.account.startswith("inmate:")) == 0

    clock.advance(24 * 60 * 60)
    deposit(4, "inm_A1002", 1000)
    [closed, next_day] = roll_up_recent()
    assert closed.day == first_day and closed.closed and next_day.day == clock.iso()[:10]
    assert [record.day for record in roll_up_recent()] == [next_day.day], "closed days stay closed"
    assert house_totals() == dict(entries_by_kind())
    report = audit()
    assert report.ok, report.mismatches
    assert report.house_totals == dict(entries_by_kind())


def test_audit_catches_a_wrong_roll_up_day_and_an_unbalanced_journal(api, facilities, card):
    deposit(1, "inm_A1001")
    day = clock.iso()[:10]
    clock.advance(24 * 60 * 60)
    roll_up_recent()
    assert audit().ok
    record = HouseDay.get(HOUSE, day)
    record.update(actions=[HouseDay.totals.set({**record.cents(), "card_clearing": 1})])
    assert [m["house_day"] for m in audit().mismatches] == [day]

    roll_up_recent()  # the day is closed: the job leaves it alone
    record.update(actions=[HouseDay.totals.set(dict(entries_by_kind()))])
    stray = ledger.Posting(ledger.inmate_account("inm_A1001", "trust"), 7)
    write_together(lambda t: _unbalanced(t, stray))
    report = audit()
    assert [m.get("journal_id") for m in report.mismatches] == ["jrn_stray"]
    assert report.total_cents == 7 and not report.ok


def _unbalanced(transaction, posting: ledger.Posting) -> None:
    """A journal that skips ``post``'s own check, as a bug or a hand edit would."""
    at = clock.iso()
    transaction.save(LedgerEntry(posting.account, f"{at}#jrn_stray", journal_id="jrn_stray",
                                 kind="deposit", amount_cents=posting.amount_cents, at=at))
    transaction.update(LedgerBalance(posting.account),
                       actions=[LedgerBalance.balance_cents.add(posting.amount_cents),
                                LedgerBalance.entry_count.add(1)])


@pytest.mark.live
@pytest.mark.slow
def test_threads_over_http_across_facilities_keep_balances_equal_to_entries(api):
    """Ten families deposit at once, over HTTP against the live stack, to inmates of two
    facilities; afterwards every balance equals its entries and the roll-up equals them too.
    (``api`` empties the emulator first: the live stack shares its state.)"""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.facilities.seed import seed_demo_facility
    from chalicelib.facilities.store import Facility
    from chalicelib.facilities.seed import DEMO_RULES
    from tests.conftest import STRONG_PASSWORD, last_code
    from tests.live_stack import post_json, running_stack
    from tests.money_fixtures import admit

    with running_stack() as base_url:
        seed_demo_facility()
        Facility(OTHER_FACILITY_ID, name="Other County", state="VA", stamp_price_cents=50,
                 rules=DEMO_RULES).save()
        admit("inm_B2001", OTHER_FACILITY_ID, "B2001", "Dana Lee")
        tokens = []
        for n in range(10):
            email = f"house.{n}@example.com"
            post_json(base_url, "/v1/auth/signup", {"email": email, "password": STRONG_PASSWORD,
                                                    "full_name": f"Family {n}"})
            post_json(base_url, "/v1/auth/verify-email", {"email": email, "code": last_code(email)})
            tokens.append(post_json(base_url, "/v1/auth/login", {
                "email": email, "password": STRONG_PASSWORD})[1]["access_token"])
        inmates = ["inm_A1001", "inm_A1002", "inm_B2001"]

        def deposit_over_http(n: int) -> int:
            return post_json(base_url, "/v1/deposits", deposit_body(inmates[n % 3], 100 + n),
                             headers={"Authorization": f"Bearer {tokens[n % 10]}",
                                      "Idempotency-Key": uuid.uuid4().hex}, timeout=60)[0]

        with ThreadPoolExecutor(10) as pool:
            statuses = list(pool.map(deposit_over_http, range(30)))
        assert statuses == [201] * 30
        roll_up_recent()
        report = audit()
        assert report.ok, report.mismatches
        assert report.journals == 30 and report.entries == 90
        assert house_totals() == dict(entries_by_kind())
        assert house_totals()["card_clearing"] == -sum(100 + n + 30 for n in range(30))  # fee 30 ¢
        facilities_by_house = {parse_house_account(b.account).facility_id
                               for b in LedgerBalance.scan() if parse_house_account(b.account)}
        assert facilities_by_house == {DEMO_FACILITY_ID, OTHER_FACILITY_ID}
