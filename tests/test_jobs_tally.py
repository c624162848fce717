"""Issue 13 finding 5: the per-inmate day tally keeps a bounded set of senders (deposits no
longer fail past ~11,000 senders at the 400 KB item limit) and still flags as the rule says;
facility rules are read through the facility, so publishing them writes one item whatever the
facility's size."""
from __future__ import annotations

from collections import Counter

import pytest
from pynamodb.connection.base import Connection

from chalicelib.core import clock
from chalicelib.core.store import MONEY_STRIPES
from chalicelib.facilities import rulebook
from chalicelib.facilities.seed import DEMO_FACILITY_ID, DEMO_RULES
from chalicelib.payments import deposits
from chalicelib.payments.store import DailyTally, ReviewFlag
from tests.money_fixtures import admit, card, deposit_body, facilities, family, post_deposit  # noqa: F401

pytestmark = pytest.mark.usefixtures("facilities")


def test_the_bound_exceeds_every_threshold_the_rules_allow(api):
    properties = rulebook.FACILITY_RULES["properties"]
    for rule in ("flag_sender_distinct_inmates_per_day", "flag_inmate_distinct_senders_per_day"):
        assert deposits.TALLY_MEMBERS_KEPT > properties[rule]["maximum"]


def test_a_full_inmate_tally_flags_the_deposit_and_stays_bounded(api, family):  # noqa: F811
    _, token = family
    key = f"inmate:inm_A1001:{clock.iso()[:10]}"
    many = {f"acc_sender{n:05d}" for n in range(deposits.TALLY_MEMBERS_KEPT)}
    DailyTally(key, members=many).save()
    response = post_deposit(api, token, deposit_body(amount_cents=1500))
    assert response.status_code == 201, response.json
    tally = DailyTally.get(key)
    assert len(tally.members) == deposits.TALLY_MEMBERS_KEPT  # the newcomer is not added
    assert _size(tally) < 40_000  # far from the 400 KB item limit, however many senders
    [flag] = list(ReviewFlag.query(DEMO_FACILITY_ID))
    assert flag.rule_codes == ["inmate_paid_by_many_senders"]
    assert flag.deposit_id == response.json["deposit_id"]


def test_under_the_bound_senders_are_counted_exactly(api, family):  # noqa: F811
    _, token = family
    key = f"inmate:inm_A1001:{clock.iso()[:10]}"
    DailyTally(key, members={f"acc_s{n}" for n in range(3)}).save()
    assert post_deposit(api, token, deposit_body()).status_code == 201
    assert len(DailyTally.get(key).members) == 4
    assert list(ReviewFlag.query(DEMO_FACILITY_ID)) == []  # 4 is not past the threshold (5)


def test_publishing_rules_writes_the_facility_only_and_deposits_read_them(api, monkeypatch):
    """One transaction: the facility and its rules stamps (a fixed 32, whatever the roster's
    size), never an inmate."""
    for n in range(30):
        admit(f"inm_bulk{n}", DEMO_FACILITY_ID, f"Z{n:04d}", f"Bulk Person{n}")
    writes: list[list[str]] = []
    real_dispatch = Connection.dispatch

    def recording(self, operation_name, operation_kwargs):
        if operation_name in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"):
            writes.append([operation_kwargs.get("TableName", operation_name)])
        if operation_name == "TransactWriteItems":
            writes.append([next(iter(item.values()))["TableName"]
                           for item in operation_kwargs["TransactItems"]])
        return real_dispatch(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "dispatch", recording)
    rulebook.put_rules(DEMO_FACILITY_ID, {**DEMO_RULES, "deposit_max_cents": 45000}, by="test")
    monkeypatch.undo()
    [tables] = writes
    assert Counter(table.split("-", 2)[2] for table in tables) == {
        "facilities": 1, "facility-rules-stamps": MONEY_STRIPES}
    quote = deposits.quote("inm_bulk7", "phone", 45000)
    assert quote["amount_cents"] == 45000  # the new maximum holds for every inmate at once


def _size(tally: DailyTally) -> int:
    return sum(len(member) + 1 for member in tally.members) + len(tally.tally_key) + 64
