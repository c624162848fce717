"""Money under concurrent clients over real HTTP (issue 12: the local stack must not lose or
double money).

Eight signed-in families hit the live stack (chalice's threaded server over the emulator that
applies one request at a time, as `make run` serves it): one Idempotency-Key replayed by eight
threads at once, then 24 different deposits from eight threads.  Afterwards every ledger
balance must equal the sum of its entries (`make audit`'s check) and the key must have made
exactly one deposit.
"""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.facilities.seed import seed_demo_facility
from chalicelib.payments.audit import audit
from tests.conftest import STRONG_PASSWORD, last_code
from tests.live_stack import post_json, running_stack
from tests.money_fixtures import deposit_body

CLIENTS = 8
pytestmark = [pytest.mark.live, pytest.mark.slow]


@pytest.fixture
def families(aws_state):
    """The live stack's URL and eight families' access tokens."""
    with running_stack() as base_url:
        seed_demo_facility()
        tokens = []
        for n in range(CLIENTS):
            email = f"family.{n}@example.com"
            assert post_json(base_url, "/v1/auth/signup", {
                "email": email, "password": STRONG_PASSWORD, "full_name": f"Family {n}"})[0] == 202
            assert post_json(base_url, "/v1/auth/verify-email",
                             {"email": email, "code": last_code(email)})[0] == 200
            status, body = post_json(base_url, "/v1/auth/login",
                                     {"email": email, "password": STRONG_PASSWORD})
            assert status == 200, body
            tokens.append(body["access_token"])
        yield base_url, tokens


def _deposit(base_url: str, token: str, body: dict, key: str) -> tuple[int, dict]:
    return post_json(base_url, "/v1/deposits", body,
                     headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})


def test_eight_clients_over_http_neither_double_nor_lose_money(families):
    base_url, tokens = families
    key = uuid.uuid4().hex
    with ThreadPoolExecutor(CLIENTS) as pool:
        replays = list(pool.map(lambda _: _deposit(base_url, tokens[0], deposit_body(), key),
                                range(CLIENTS)))
        distinct = list(pool.map(
            lambda n: _deposit(base_url, tokens[n % CLIENTS],
                               deposit_body(amount_cents=100 + n), uuid.uuid4().hex),
            range(24)))

    assert [status for status, _ in replays] == [201] * CLIENTS
    assert len({body["deposit_id"] for _, body in replays}) == 1  # one key, one deposit
    assert [status for status, _ in distinct] == [201] * 24
    assert len({body["deposit_id"] for _, body in distinct}) == 24
    report = audit()
    assert report.mismatches == [] and report.total_cents == 0
    assert report.accounts > 0 and report.entries >= 2 * 25  # every deposit posted its journal
