"""No item shared by every payment of a facility (issue 13, finding 1; bench_conflicts): a
payment checks the facility's rules on its own stripe of the rules stamps, the stripe of its
house accounts, and the house accounts' day index is striped the same way."""
from __future__ import annotations

import copy

from chalicelib.core import clock
from chalicelib.core.store import MONEY_STRIPES, stripe_of
from chalicelib.facilities import rulebook, store
from chalicelib.facilities.seed import DEMO_RULES
from chalicelib.payments.ledger import LedgerBalance, parse_house_account
from tests.money_fixtures import DEMO_FACILITY_ID, card, facilities  # noqa: F401  (fixtures)
from tests.test_house_accounts import (buy_stamps, deposit, house_accounts_of,  # noqa: F401
                                       transactions)


def stamps_of(facility_id: str) -> dict[str, int]:
    keys = [store.rules_stamp_key(facility_id, stripe) for stripe in range(MONEY_STRIPES)]
    return {stamp.stamp_key: int(stamp.rules_version)
            for stamp in store.RulesStamp.batch_get(keys, consistent_read=True)}


def rules_with(**changes) -> dict:
    return {**copy.deepcopy(DEMO_RULES), **changes}


def test_a_payment_checks_the_rules_stamp_of_its_house_stripe_not_the_facility(
        api, facilities, card, transactions):
    for pay in (lambda: deposit(1, "inm_A1001"), lambda: buy_stamps(2, DEMO_FACILITY_ID)):
        before = len(transactions)
        journal = pay()
        [touched] = transactions[before:]
        assert not [key for table, key in touched if table.endswith("facilities")], \
            "no payment touches the facility item"
        [stamp] = [key for table, key in touched if table.endswith("facility-rules-stamps")]
        [house_stripe] = {account.rsplit("#", 1)[1] for account in house_accounts_of(journal)}
        assert stamp == store.rules_stamp_key(DEMO_FACILITY_ID, stripe_of(journal, MONEY_STRIPES))
        assert stamp.rsplit("#", 1)[1] == house_stripe


def test_every_rules_change_writes_every_stamp_with_the_new_version(api, facilities):
    before = int(store.facility(DEMO_FACILITY_ID, consistent=True).rules_version)
    rulebook.put_rules(DEMO_FACILITY_ID, rules_with(stamp_price_cents=26), by="adm_test")
    stamps = stamps_of(DEMO_FACILITY_ID)
    assert len(stamps) == MONEY_STRIPES and set(stamps.values()) == {before + 1}
    assert int(store.facility(DEMO_FACILITY_ID, consistent=True).rules_version) == before + 1


def test_two_changes_at_once_both_apply_in_turn_and_the_last_one_wins(api, facilities,
                                                                      monkeypatch):
    """The second admin read the facility before the first one's change: its write is refused
    on the version, it reads again and replaces; the stamps carry the final version."""
    before = int(store.facility(DEMO_FACILITY_ID, consistent=True).rules_version)
    stale = store.facility(DEMO_FACILITY_ID, consistent=True)
    rulebook.put_rules(DEMO_FACILITY_ID, rules_with(stamp_price_cents=26), by="adm_first")
    reads = iter([stale])
    real = store.facility
    monkeypatch.setattr(store, "facility",
                        lambda facility_id, consistent=False: next(reads, None) or real(
                            facility_id, consistent=consistent))
    rulebook.put_rules(DEMO_FACILITY_ID, rules_with(stamp_price_cents=27), by="adm_second")
    after = real(DEMO_FACILITY_ID, consistent=True)
    assert (int(after.rules_version), int(after.stamp_price_cents)) == (before + 2, 27)
    assert set(stamps_of(DEMO_FACILITY_ID).values()) == {before + 2}


def test_house_accounts_are_listed_under_their_day_and_stripe(api, facilities, card):
    journals = [deposit(n, "inm_A1001") for n in range(6)]
    day = clock.iso()[:10]
    accounts = {account for journal in journals for account in house_accounts_of(journal)}
    for account in accounts:
        house = parse_house_account(account)
        listed = {found.account for found in LedgerBalance.house_by_day.query(f"{day}#{house.stripe}")}
        assert account in listed
    assert list(LedgerBalance.house_by_day.query(day)) == [], "nothing under the bare day"
    assert len({parse_house_account(a).stripe for a in accounts}) > 1
