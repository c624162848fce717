"""(m) eMessaging: a thread's first page costs the same whatever the thread's length, and a send
is one transaction plus at most two reads.

* First page: ``GET /v1/contacts/{id}/messages?limit=10`` through ``chalice.test.Client`` for a
  10-message thread and a 10,000-message thread, interleaved, 25 reads each; the goal is a
  ratio of medians ≤ 1.5.  Both pages hold 10 messages, so only the thread's length differs
  (with the default 20 the long thread's page would carry twice the items).

  What DynamoDB charges for a page is the items it reads: ``ScannedCount`` is reported for both
  threads (10 and 10).  moto, however, answers an index Query by collecting and *sorting the
  whole partition* before applying ``Limit`` (``moto/dynamodb/models/table.py``), which real
  DynamoDB never does; so the raw latency ratio measured on moto grows with the thread.  The
  time spent inside DynamoDB calls is therefore measured too (botocore ``before-call`` /
  ``after-call`` events) and the third row gives the ratio of everything else: routing,
  authentication, validation, rendering — the part that is ours.  The 10,000 messages are
  written straight into the table with batch writes (sending them one by one would only
  measure moto).
* Calls per send: the DynamoDB operations ``messages.send_to_inmate`` makes, counted with
  botocore's ``before-call`` event (the harness's counter); the request's own authentication
  (session and account reads) is reported beside it, not counted against the goal.
"""
from __future__ import annotations

import json
import statistics
import time

from bench.harness import (ROOT, STAGE, cpu, dynamo_calls, fresh_aws, interleaved, logs_discarded,
                           timed, wall)

RUNS = 25
SMALL, LARGE = 10, 10_000
PAGE = 10
RATIO_GOAL = 1.5
EMAIL = "bench.messaging@example.com"
PASSWORD = "correct horse battery staple 42"
HEADERS = {"Content-Type": "application/json", "User-Agent": "kinlink-bench/1.0"}


class DynamoTimer:
    """Wall time spent inside DynamoDB calls (request building, moto's work, parsing)."""

    def __init__(self) -> None:
        from botocore.handlers import BUILTIN_HANDLERS

        self.seconds = 0.0
        self._started: list[float] = []
        BUILTIN_HANDLERS.append(("before-call.dynamodb", self._before))
        BUILTIN_HANDLERS.append(("after-call.dynamodb", self._after))

    def _before(self, **_kwargs) -> None:
        self._started.append(time.perf_counter())

    def _after(self, **_kwargs) -> None:
        self.seconds += time.perf_counter() - self._started.pop()


_timer: DynamoTimer | None = None


def dynamo_timer() -> DynamoTimer:
    """One per process, registered before ``fresh_aws`` creates the clients that report to it."""
    global _timer
    if _timer is None:
        _timer = DynamoTimer()
    return _timer


def _scanned_per_first_page(contact_id: str) -> int:
    from chalicelib.messaging.store import Message

    results = Message.by_family_thread.query(contact_id, scan_index_forward=False, limit=PAGE)
    list(results)
    return results.page_iter.total_scanned_count


def _family_account() -> str:
    from chalicelib.accounts import passwords, store
    from chalicelib.core import clock

    now = clock.iso()
    store.create_account(store.Account(
        "acc_bench_msg", email=EMAIL, full_name="Pat Bench", email_verified=True,
        password_hash=passwords.hash_password(PASSWORD), created_at=now,
        password_changed_at=now))
    return "acc_bench_msg"


def _approved_contact(account_id: str, inmate_id: str, contact_id: str | None = None) -> str:
    from chalicelib.facilities.store import Inmate
    from chalicelib.contacts import states as contact_states
    from chalicelib.contacts.store import Contact
    from chalicelib.core.audit import review_key

    inmate = Inmate.get(inmate_id)
    contact_id = contact_id or f"con_bench_{inmate_id}"
    Contact(contact_id, account_id=account_id, inmate_id=inmate_id,
            facility_id=inmate.facility_id, status=contact_states.CONTACT_APPROVED,
            review_key=review_key(inmate.facility_id, contact_states.CONTACT_APPROVED),
            approved_inmate_id=inmate_id, family_name="Pat Bench", inmate_name=inmate.full_name,
            inmate_number=inmate.inmate_number, created_at="2026-11-25T00:00:00Z",
            created_key=f"2026-11-25T00:00:00.000000Z#{contact_id}").save()
    return contact_id


def _fill_thread(contact_id: str, account_id: str, inmate_id: str, count: int) -> None:
    from chalicelib.core import clock
    from chalicelib.messaging import states
    from chalicelib.core.audit import review_key
    from chalicelib.messaging.store import Message

    first = clock.now() - count  # one message a second, up to now
    with Message.batch_write() as batch:
        for n in range(count):
            message_id = f"msg_{contact_id}_{n:05d}"
            batch.save(Message(
                message_id, contact_id=contact_id, facility_id="demo-county",
                account_id=account_id, inmate_id=inmate_id, direction=states.TO_INMATE,
                family_name="Pat Bench", inmate_name="Bench Inmate",
                body=f"Letter number {n}: how are you doing this week? ✉️",
                status=states.DELIVERED, review_key=review_key("demo-county", states.DELIVERED),
                sent_key=f"{clock.iso_precise(first + n)}#{message_id}", sent_at=clock.iso(first + n),
                family_thread_id=contact_id, inbox_inmate_id=inmate_id, stamps_spent=1,
                payer_account_id=account_id))


def _grant_stamps(account_id: str, facility_id: str, count: int) -> None:
    from pynamodb.transactions import TransactWrite

    from chalicelib.core.store import transaction_connection
    from chalicelib.payments import stamps

    with TransactWrite(connection=transaction_connection()) as transaction:
        stamps.credit(transaction, account_id, facility_id, count)


def run() -> list[tuple[str, float, str]]:
    from chalice.test import Client

    from app import app
    from chalicelib.core.identity import Client as CallerClient, Principal
    from chalicelib.facilities.seed import DEMO_FACILITY_ID, seed_demo_facility
    from chalicelib.messaging import messages

    timer = dynamo_timer()
    with fresh_aws(), Client(app, stage_name=STAGE, project_dir=str(ROOT)) as client, \
            logs_discarded():
        seed_demo_facility()
        account_id = _family_account()
        small = _approved_contact(account_id, "inm_A1001")
        large = _approved_contact(account_id, "inm_A1002")
        _fill_thread(small, account_id, "inm_A1001", SMALL)
        _fill_thread(large, account_id, "inm_A1002", LARGE)
        login = client.http.post("/v1/auth/login", headers=HEADERS,
                                 body=json.dumps({"email": EMAIL, "password": PASSWORD}))
        headers = {**HEADERS, "Authorization": f"Bearer {json.loads(login.body)['access_token']}"}

        def first_page(contact_id: str, outside_dynamo: list[float]):
            def read():
                response = client.http.get(f"/v1/contacts/{contact_id}/messages?limit={PAGE}",
                                           headers=headers)
                assert response.status_code == 200
                assert len(json.loads(response.body)["items"]) == PAGE

            def measured():
                inside_before = timer.seconds
                sample = timed(read)
                outside_dynamo.append(sample[0] - (timer.seconds - inside_before))
                return sample
            return measured

        small_outside, large_outside = [], []
        first_page(small, [])(), first_page(large, [])()  # warm-up
        small_times, large_times = interleaved(RUNS, first_page(small, small_outside),
                                               first_page(large, large_outside))
        scanned = (_scanned_per_first_page(small), _scanned_per_first_page(large))

        _grant_stamps(account_id, DEMO_FACILITY_ID, 5)
        caller = Principal(account_id, "family", "bench-session")
        where = CallerClient("127.0.0.1", "kinlink-bench/1.0")
        messages.send_to_inmate(caller, small, "warm-up", "bench-warm-up", where)
        with dynamo_calls().counting() as send_calls:
            messages.send_to_inmate(caller, small, "Counting calls", "bench-key-1", where)
        with dynamo_calls().counting() as request_calls:
            response = client.http.post(f"/v1/contacts/{small}/messages",
                                        headers={**headers, "Idempotency-Key": "bench-key-2"},
                                        body=json.dumps({"body": "Through the API"}))
            assert response.status_code == 201, response.body

    ratio = wall(large_times) / wall(small_times)
    ours = statistics.median(large_outside) / statistics.median(small_outside)
    reads = [name for name in send_calls if name != "TransactWriteItems"]
    transactions = len(send_calls) - len(reads)
    page_detail = (f"first page of {LARGE:,} messages {wall(large_times) * 1000:.1f} ms / of "
                   f"{SMALL} messages {wall(small_times) * 1000:.1f} ms (CPU "
                   f"{cpu(large_times) * 1000:.1f} / {cpu(small_times) * 1000:.1f} ms), "
                   f"{RUNS} interleaved reads each; DynamoDB ScannedCount per page "
                   f"{scanned[1]} vs {scanned[0]}; outside DynamoDB calls "
                   f"{statistics.median(large_outside) * 1000:.1f} / "
                   f"{statistics.median(small_outside) * 1000:.1f} ms (moto sorts the whole "
                   f"partition per Query, DynamoDB reads only the page)")
    send_detail = (f"send: {', '.join(send_calls)}; the whole HTTP request: "
                   f"{', '.join(request_calls)}")
    return [
        ("(m) thread first page 10k / 10 messages", ratio, f"<= {RATIO_GOAL}", page_detail),
        ("(m) same, CPU time", cpu(large_times) / cpu(small_times), f"<= {RATIO_GOAL}", ""),
        ("(m) same, outside DynamoDB calls", ours, f"<= {RATIO_GOAL}", ""),
        ("(m) DynamoDB transactions per send", float(transactions), "<= 1", send_detail),
        ("(m) DynamoDB reads per send", float(len(reads)), "<= 2", ""),
    ]
