"""Pure rules of money: fees, limits, card-number screening, journal balance (no AWS)."""
from __future__ import annotations

import pytest

from chalicelib.core.errors import InvalidRequest
from chalicelib.facilities.rules import MoneyRules, dollars
from chalicelib.facilities.seed import DEMO_RULES
from chalicelib.payments import ledger
from chalicelib.payments.cards import holds_card_number, luhn_valid, refuse_card_numbers

RULES = MoneyRules.from_map(DEMO_RULES)


def test_fee_is_the_flat_fee_of_the_first_covering_tier():
    assert [RULES.fee_cents("trust", a) for a in (100, 2000, 2001, 10000, 10001, 30000)] == [
        30, 30, 90, 90, 325, 620]
    assert RULES.fee_cents("phone", 30000) == 0
    assert MoneyRules.from_map({}).fee_cents("trust", 500) == 0


def test_missing_rules_fall_back_to_the_contract_defaults():
    defaults = MoneyRules.from_map({})
    assert (defaults.min_cents, defaults.max_cents, defaults.daily_cap_cents) == (100, 30000, 100000)


def test_limit_problems_name_the_bound_in_dollars():
    assert RULES.limit_problem(99, 0) and "$1.00" in RULES.limit_problem(99, 0)
    assert "$300.00" in RULES.limit_problem(30001, 0)
    assert "$50.00" in RULES.limit_problem(6000, 95000)
    assert RULES.limit_problem(5000, 95000) is None
    assert dollars(123456) == "$1,234.56"


@pytest.mark.parametrize("text", ["4242424242424242", "4242 4242 4242 4242", "x 4000-0566-5566-5556 y",
                                  "378282246310005", "6011111111111117", "4222222222222"])
def test_luhn_valid_card_numbers_are_detected(text):
    assert holds_card_number(text)


@pytest.mark.parametrize("text", ["4242424242424241", "tok_visa", "A1001", "+12025550123",
                                  "2026-11-25", "424242424242", "42424242424242424242424"])
def test_other_numbers_are_not_cards(text):
    assert not holds_card_number(text)


def test_card_screen_names_the_field_not_the_value():
    with pytest.raises(InvalidRequest) as caught:
        refuse_card_numbers({"note": {"lines": ["ok", "4242424242424242"]}})
    assert caught.value.code == "card_number_not_allowed"
    assert caught.value.extensions["errors"][0]["field"] == "note.lines[1]"
    assert "4242" not in caught.value.detail
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")


def test_a_journal_that_does_not_balance_is_refused():
    with pytest.raises(ValueError):
        ledger.post(None, "j", "deposit", "2026-11-25T00:00:00Z",
                    [ledger.Posting("a", 100), ledger.Posting("b", -99)])
