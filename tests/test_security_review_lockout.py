"""Security review, finding 2: lockout counting is atomic (api.md "Accounts and sign-in").

Real threads against the HTTP stack (chalice's threaded local server over the emulator that
applies one request at a time, as `make run` serves it).  Every attempt reserves a slot of the
email's failure budget with a conditional write before any password is checked, so however many
requests arrive at once, at most 5 wrong ones reach bcrypt per lock window.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import STRONG_PASSWORD, last_code
from tests.live_stack import post_json, running_stack, secret_checks  # noqa: F401

EMAIL = "racer@example.com"


@pytest.fixture
def live_account(aws_state):
    with running_stack() as base_url:
        assert post_json(base_url, "/v1/auth/signup", {
            "email": EMAIL, "password": STRONG_PASSWORD, "full_name": "Robin Racer"})[0] == 202
        assert post_json(base_url, "/v1/auth/verify-email",
                         {"email": EMAIL, "code": last_code(EMAIL)})[0] == 200
        yield base_url


def _sign_in_together(base_url: str, attempts: list[str]) -> list[tuple[int, dict]]:
    start = threading.Barrier(len(attempts))

    def sign_in(password: str):
        start.wait()
        return post_json(base_url, "/v1/auth/login", {"email": EMAIL, "password": password})

    with ThreadPoolExecutor(len(attempts)) as pool:
        return list(pool.map(sign_in, attempts))


def test_f02_thirty_concurrent_wrong_passwords_reach_the_check_at_most_five_times(
        live_account, secret_checks):
    results = _sign_in_together(live_account, [f"wrong guess number {n}" for n in range(30)])

    assert len(secret_checks) <= 5
    statuses = sorted(status for status, _ in results)
    assert statuses.count(401) == len(secret_checks)
    assert statuses.count(429) == 30 - len(secret_checks)
    assert {body["code"] for status, body in results if status == 429} == {"account_locked"}
    # The lock holds for the owner too, right password or not.
    status, body = post_json(live_account, "/v1/auth/login",
                             {"email": EMAIL, "password": STRONG_PASSWORD})
    assert status == 429 and body["code"] == "account_locked"


def test_f02_the_right_password_sent_last_among_parallel_wrong_ones_is_not_evaluated_past_the_budget(
        live_account, secret_checks):
    results = _sign_in_together(live_account,
                                [f"wrong guess number {n}" for n in range(23)] + [STRONG_PASSWORD])

    assert len(secret_checks) <= 5
    right_status, right_body = results[-1]
    if STRONG_PASSWORD in secret_checks:
        assert right_status == 200 and "access_token" in right_body
    else:
        assert right_status == 429 and "access_token" not in right_body
    assert sum(1 for status, _ in results if status == 429) >= 24 - 5
