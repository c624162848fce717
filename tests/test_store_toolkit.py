"""The store toolkit (``core.store``) and the one idempotency module (``core.idempotency``), as
every capability uses them: conflicts retried a bounded number of times, a failed condition
turned into a business answer and nothing else, one idempotency record for money and messages."""
from __future__ import annotations

from unittest import mock

import pytest
from botocore.client import BaseClient
from pynamodb.exceptions import PutError, TransactGetError, TransactWriteError

from chalicelib.core import store
from chalicelib.core.jobs import JobState
from chalicelib.core.idempotency import IdempotencyRecord
from chalicelib.core.store import (CONFLICT_RETRIES, get_or_none, read_together, resolved,
                                   write_together, written)
from tests.fault_support import FAULTS, aws_calls
from tests.messaging_support import new_key, stamp_balance, world  # noqa: F401


class Taken(Exception):
    pass


@pytest.fixture
def no_jitter(monkeypatch):
    monkeypatch.setattr(store.time, "sleep", lambda seconds: None)


def _save_new(job: str, watermark: int = 1):
    return lambda transaction: transaction.save(JobState(job, watermark=watermark),
                                                condition=JobState.job.does_not_exist())


def _always(fault: str):
    calls = []

    def intercepted(client, operation, params):
        calls.append(operation)
        raise FAULTS[fault]("dynamodb", operation, params)

    return calls, mock.patch.object(BaseClient, "_make_api_call", intercepted)


# --- transaction runner ----------------------------------------------------------------------

def test_write_together_retries_a_transaction_conflict_with_a_fresh_transaction(api, no_jitter):
    with aws_calls(fail_at=1, fault="conflict") as log:
        write_together(_save_new("conflicted"))
    assert log.calls == ["dynamodb.TransactWriteItems"] * 2
    assert get_or_none(JobState, "conflicted").watermark == 1


def test_conflict_retries_are_bounded_then_the_conflict_propagates(api, no_jitter):
    calls, patched = _always("conflict")
    with patched, pytest.raises(TransactWriteError):
        write_together(_save_new("never"))
    assert calls == ["TransactWriteItems"] * (CONFLICT_RETRIES + 1)
    calls, patched = _always("conflict")
    with patched, pytest.raises(TransactGetError):
        read_together(lambda reads: reads.get(JobState, "never"))
    assert calls == ["TransactGetItems"] * (CONFLICT_RETRIES + 1)


def test_read_together_retries_a_conflict_and_resolves_missing_items_to_none(api, no_jitter):
    JobState("present", watermark=7).save()
    futures = {}

    def reads(snapshot):
        futures.update(present=snapshot.get(JobState, "present"),
                       absent=snapshot.get(JobState, "absent"))

    with aws_calls(fail_at=1, fault="conflict") as log:
        read_together(reads)
    assert log.calls == ["dynamodb.TransactGetItems"] * 2
    assert resolved(futures["present"]).watermark == 7
    assert resolved(futures["absent"]) is None and resolved(None) is None


def test_a_failed_condition_is_not_retried(api, no_jitter):
    write_together(_save_new("once"))
    with aws_calls() as log, pytest.raises(TransactWriteError):
        write_together(_save_new("once"))
    assert log.calls == ["dynamodb.TransactWriteItems"]


def test_write_together_maps_only_the_named_models_refusal_to_its_answer(api):
    write_together(_save_new("taken"))
    with pytest.raises(Taken):
        write_together(_save_new("taken"), {JobState: Taken})
    # A refusal on a model the caller did not name stays a TransactWriteError.
    record = IdempotencyRecord("someone:key", fingerprint="f", status_code=201,
                               response_body="{}", created_at="now")
    record.save()

    def both(transaction):
        _save_new("fresh")(transaction)
        transaction.save(record, condition=IdempotencyRecord.scope_key.does_not_exist())

    with pytest.raises(TransactWriteError):
        write_together(both, {JobState: Taken})
    assert get_or_none(JobState, "fresh") is None, "all or nothing"


# --- "a failed condition is a business answer, anything else propagates" --------------------

def test_written_answers_false_for_a_refused_condition_single_item_or_transaction(api):
    save = lambda: JobState("w", watermark=1).save(condition=JobState.job.does_not_exist())  # noqa: E731
    assert written(save) is True
    assert written(save) is False
    assert written(lambda: write_together(_save_new("w"))) is False
    assert written(lambda: write_together(_save_new("w2"))) is True


@pytest.mark.parametrize("fault", ["throttled", "server_error", "unreachable", "timeout"])
def test_written_lets_every_other_failure_propagate(api, fault):
    with aws_calls(fail_at=1, fault=fault), pytest.raises(PutError):
        written(lambda: JobState("x", watermark=1).save(condition=JobState.job.does_not_exist()))
    assert get_or_none(JobState, "x") is None


def test_written_lets_an_exhausted_conflict_propagate(api, no_jitter):
    calls, patched = _always("conflict")
    with patched, pytest.raises(TransactWriteError):
        written(lambda: write_together(_save_new("c")))


def test_get_or_none_reads_consistently_unless_told_otherwise(api):
    JobState("read", watermark=3).save()
    with aws_calls() as log, mock.patch.object(JobState, "get", wraps=JobState.get) as get:
        assert get_or_none(JobState, "read").watermark == 3
        assert get_or_none(JobState, "missing", consistent=False) is None
    assert [call.kwargs["consistent_read"] for call in get.call_args_list] == [True, False]
    assert log.calls == ["dynamodb.GetItem"] * 2


# --- one idempotency module for money and messages ------------------------------------------

def test_message_sends_use_the_shared_idempotency_record_and_replay_header(world):
    family = world.family(stamps_at_demo=2)
    contact_id = world.contact(family)
    key = new_key()
    first = world.send(family, contact_id, "Same letter", headers=key)
    again = world.send(family, contact_id, "Same letter", headers=key)
    assert first.status_code == again.status_code == 201 and again.json == first.json
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert stamp_balance(family.account_id) == 1
    records = [r for r in IdempotencyRecord.scan()
               if r.scope_key.startswith(f"{family.account_id}:")]
    assert len(records) == 1 and records[0].status_code == 201
    assert key["Idempotency-Key"] not in records[0].scope_key, "the key is stored as a digest"


def test_message_and_money_keys_answer_the_same_problems(world):
    family = world.family(stamps_at_demo=1)
    contact_id = world.contact(family)
    missing = world.api.post(f"/v1/contacts/{contact_id}/messages", {"body": "Hi"},
                             token=family.token)
    bad = world.send(family, contact_id, headers={"Idempotency-Key": "has space"})
    assert (missing.status_code, missing.json["code"]) == (400, "idempotency_key_required")
    assert (bad.status_code, bad.json["code"]) == (400, "invalid_idempotency_key")
    money = world.api.post("/v1/stamps/purchase", {"facility_id": "demo-county", "quantity": 1,
                                                   "payment_method_token": "tok_visa"},
                           token=family.token)
    assert (money.status_code, money.json["code"]) == (400, "idempotency_key_required")
    assert stamp_balance(family.account_id) == 1
