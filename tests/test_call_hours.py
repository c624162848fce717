"""Calling hours (api.md "Calls": the platform's authorisation answers ``outside_hours``): a
facility's ``call_hours`` in its own time zone, overnight windows included; a call never runs
past closing; the public policies show them; a window that opens and closes at once is refused."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.calls import rating
from chalicelib.core import clock
from chalicelib.core.errors import InvalidRequest
from chalicelib.facilities import policies, rulebook
from chalicelib.facilities.seed import DEMO_FACILITY_ID, DEMO_RULES
from tests.money_fixtures import card  # noqa: F401  (fixture)
from tests.test_calls import authorize, fund, line, set_rules  # noqa: F401  (fixture)

NEW_YORK = ZoneInfo("America/New_York")


def at_new_york(hour: int, minute: int = 0) -> None:
    """Move the clock on to the next such local time in New York (the demo facility's zone)."""
    now = datetime.fromtimestamp(clock.now(), NEW_YORK)
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target.timestamp() <= clock.now():
        target = (now + timedelta(days=1)).replace(hour=hour, minute=minute, second=0,
                                                   microsecond=0)
    clock.advance(target.timestamp() - clock.now())


@pytest.mark.parametrize("hour, minute, allowed", [(6, 59, False), (7, 0, True), (12, 0, True),
                                                   (22, 59, True), (23, 0, False), (3, 0, False)])
def test_calls_are_authorised_only_within_the_facilitys_hours(line, hour, minute, allowed):
    set_rules(call_hours={"opens": "07:00", "closes": "23:00"})
    fund(5000)
    at_new_york(hour, minute)
    answer = authorize(line)
    assert answer["allowed"] is allowed, answer
    if not allowed:
        assert answer == {"allowed": False, "reason": "outside_hours"}


def test_a_call_authorised_before_closing_ends_at_closing(line):
    set_rules(call_hours={"opens": "07:00", "closes": "23:00"}, call_max_minutes=30)
    fund(5000)
    at_new_york(22, 50)
    assert authorize(line)["max_seconds"] == 600
    at_new_york(12, 0)
    assert authorize(line)["max_seconds"] == 1800  # the length limit, far from closing


def test_an_overnight_window_spans_midnight(line):
    set_rules(call_hours={"opens": "18:00", "closes": "02:00"})
    fund(5000)
    for hour, allowed in ((17, False), (18, True), (23, True), (1, True), (2, False), (9, False)):
        at_new_york(hour)
        assert authorize(line)["allowed"] is allowed, hour


@given(opens=st.integers(0, 1439), closes=st.integers(0, 1439), now=st.integers(0, 10**9))
def test_seconds_until_closing_is_zero_exactly_outside_the_window(opens, closes, now):
    hours = {"opens": f"{opens // 60:02d}:{opens % 60:02d}",
             "closes": f"{closes // 60:02d}:{closes % 60:02d}"}
    left = rating.seconds_until_closing(hours, "UTC", now)
    minute = (now % 86400) / 60
    inside = (minute - opens) % 1440 < (closes - opens) % 1440
    assert (left > 0) is inside and 0 <= left <= 86400
    assert rating.seconds_until_closing(None, "UTC", now) is None


def test_the_hours_are_published_and_a_window_of_no_length_is_refused(line):
    rules = copy.deepcopy(DEMO_RULES)
    rulebook.put_rules(DEMO_FACILITY_ID, {**rules, "call_hours": {"opens": "07:00",
                                                                 "closes": "23:00"}}, by="adm")
    [audio] = [rate for rate in policies.published(DEMO_FACILITY_ID)["rates"]
               if rate["code"] == "audio_call"]
    assert audio["call_hours"] == {"opens": "07:00", "closes": "23:00"}
    with pytest.raises(InvalidRequest) as refused:
        rulebook.put_rules(DEMO_FACILITY_ID, {**rules, "call_hours": {"opens": "07:00",
                                                                     "closes": "07:00"}},
                           by="adm")
    assert refused.value.extensions["errors"][0]["field"] == "call_hours.closes"
