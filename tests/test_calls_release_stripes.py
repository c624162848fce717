"""The open-calls index is striped per hour (docs/decisions/call-release-stripes.md): calls of
one hour land on several keys, and the release job still finds every lapsed call."""
from __future__ import annotations

from chalicelib.calls import service
from chalicelib.calls.store import Call
from chalicelib.core import clock
from chalicelib.payments.audit import audit
from tests.messaging_support import world  # noqa: F401  (fixture)
from tests.money_fixtures import card  # noqa: F401  (fixture)
from tests.test_calls import authorize, family_balance, fund, line  # noqa: F401  (fixture)


def test_stripes_spread_one_hour_and_the_job_releases_every_stripe(line):
    stripes = {service.release_hour(1_780_000_000, f"call_{n}").rsplit("#", 1)[1]
               for n in range(200)}
    assert stripes == {f"{n:02d}" for n in range(service.RELEASE_STRIPES)}

    fund(1500)  # ten 15-minute holds of 1.50 at 10 cents a minute
    allowed = [authorize(line) for _ in range(10)]
    keys = {Call.get(answer["call_id"]).release_hour for answer in allowed}
    assert len({key.rsplit("#", 1)[0] for key in keys}) <= 2  # one or two hours
    assert len(keys) > 2  # but several stripes of them
    assert family_balance() == 0
    clock.advance(max(answer["max_seconds"] for answer in allowed) + 11 * 60)
    assert service.release_lapsed() == 10
    assert {Call.get(answer["call_id"]).status for answer in allowed} == {"released"}
    assert list(Call.open_calls.scan()) == []
    assert family_balance() == 1500 and audit().ok
