"""Storage plumbing shared by every capability's PynamoDB models: stage-prefixed table names,
``ExpiringModel`` (expiry enforced on read; DynamoDB TTL deletes the item later, for free),
signed cursors, and the toolkit (``get_or_none``, ``write_together`` / ``read_together``
retried on conflicts, ``written``: a failed condition is a business answer, anything else
propagates).
Why: docs/decisions/tables.md
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, TTLAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import (DeleteError, DoesNotExist, PutError, TransactGetError,
                                 TransactWriteError, UpdateError)
from pynamodb.models import Model
from pynamodb.transactions import TransactGet, TransactWrite

from chalicelib.config import get_settings
from chalicelib.core import clock, lazy, secrets
from chalicelib.core.logs import log_event
from chalicelib.core.errors import InvalidRequest
from chalicelib.core.i18n import _


class TableName:
    """``Meta.table_name`` that reads the stage prefix when the table is first touched."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type) -> str:
        return f"{get_settings().table_prefix}{self.name}"


class Region:
    """``Meta.region``: the Lambda's own region, or the local one."""

    def __get__(self, instance: Any, owner: type) -> str | None:
        return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


class BaseMeta:
    """Mixin for every model's ``Meta``: on-demand billing, lazy region."""

    billing_mode = "PAY_PER_REQUEST"
    region = Region()
    host = None  # botocore reads AWS_ENDPOINT_URL itself


class StoredModel(Model):
    """Every model's base: all tables share one botocore DynamoDB client (thread-safe).
    PynamoDB builds a client per model class (about 0.1 s each: 31 models made a cold sign-in
    and every local stack start pay for several); settings are the same for all (BaseMeta)."""

    @classmethod
    def _get_connection(cls):
        table = super()._get_connection()
        if table.connection._client is None:  # each keeps its own table schemas, not a client
            table.connection._client = transaction_connection().client
        return table


class ExpiringModel(StoredModel):
    """A record that stops counting at ``expires_at`` (checked on every read).  ``ttl`` holds
    the same instant for DynamoDB TTL, which deletes the item within days at no cost; nothing
    else deletes expired records (docs/decisions/expiry-ttl.md)."""

    expires_at = NumberAttribute(null=True)
    ttl = TTLAttribute(null=True)

    def set_expiry(self, epoch_seconds: float | None) -> None:
        if epoch_seconds is None:
            self.expires_at = self.ttl = None
            return
        self.expires_at = int(epoch_seconds)
        self.ttl = datetime.fromtimestamp(int(epoch_seconds), tz=UTC)

    def is_expired(self, at: float | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (clock.now() if at is None else at)


def expiry_update_actions(model: type[ExpiringModel], epoch_seconds: float) -> list:
    """The ``update()`` actions that move a record's expiry (same fields as ``set_expiry``)."""
    return [
        model.expires_at.set(int(epoch_seconds)),
        model.ttl.set(datetime.fromtimestamp(int(epoch_seconds), tz=UTC)),
    ]


# Every model whose table the stack owns, in creation order; capabilities register theirs.
# Models load with their capability: complete after ``lazy.load_registrations()`` (each is
# named by a data-rights holding).
MODELS: list[type[Model]] = []


def register(model: type[Model]) -> type[Model]:
    MODELS.append(model)
    return model


# Models whose items are history: written once (``does_not_exist``), never updated or deleted.
# In AWS the API role is denied UpdateItem/DeleteItem on their tables (policy-prod.json;
# tests/test_package.py checks the deny names exactly these).
APPEND_ONLY: list[type[Model]] = []


def append_only(model: type[Model]) -> type[Model]:
    APPEND_ONLY.append(model)
    return model


def create_tables() -> list[str]:
    """Create missing tables (idempotent) and switch TTL on; returns the names created."""
    lazy.load_registrations()
    created = []
    for model in MODELS:
        if not model.exists():
            model.create_table(wait=True)
            created.append(model.Meta.table_name)
        if any(isinstance(a, TTLAttribute) for a in model.get_attributes().values()):
            model.update_ttl(ignore_update_ttl_errors=True)
    return created


_connection_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def transaction_connection() -> Connection:
    """One connection for every transaction, reused while the Lambda is warm: building a
    botocore client costs about half a second, more than the transaction itself.  Its client
    is created here, under a lock, because botocore sessions are not safe to build from several
    threads at once."""
    with _connection_lock:
        connection = Connection(region=Region().__get__(None, Connection))
        connection.client  # noqa: B018 (created now, not lazily on first use)
        return connection


def reset_connections() -> None:
    """Forget every cached DynamoDB connection (tests and benchmarks that switch endpoints)."""
    transaction_connection.cache_clear()
    for model in _subclasses(Model):  # registered or not (LinkToken shares OneTimeCode's table)
        model._connection = None  # indexes query through their model's connection


def _subclasses(cls: type) -> list[type]:
    return [found for sub in cls.__subclasses__() for found in (sub, *_subclasses(sub))]


# --- reading DynamoDB's answer -------------------------------------------------------------

def aws_error_code(error) -> str | None:
    """The DynamoDB error code behind a PynamoDB exception; None for a connection failure.
    (PynamoDB's own ``cause_response_code`` raises AttributeError on a read timeout, whose
    ``response`` is None.)"""
    response = getattr(error.cause, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


def condition_failed(error) -> bool:
    """A single-item write refused by its condition (a business answer, not a failure)."""
    return aws_error_code(error) == "ConditionalCheckFailedException"


def cancellation_codes(error) -> set[str]:
    """Why a transaction was cancelled: the codes of the items that caused it."""
    reasons = getattr(error.cause, "cancellation_reasons", None) or []
    return {reason.code for reason in reasons if reason is not None}


def failed_conditions(error) -> bool:
    """A transaction cancelled because at least one of its conditions failed."""
    return "ConditionalCheckFailed" in cancellation_codes(error)


def refused(error) -> bool:
    """A write (single item or transaction) refused by one of its conditions."""
    return condition_failed(error) or failed_conditions(error)


def only_conflicts(error) -> bool:
    """A transaction cancelled only because another one touched its items at that instant."""
    codes = cancellation_codes(error)
    return bool(codes) and codes <= {"TransactionConflict"}


# --- the toolkit ---------------------------------------------------------------------------

# A conflict means another transaction on the same items at the same instant; a few retries
# with jitter get through, more would only hide contention the caller should hear about (503).
CONFLICT_RETRIES = 4


# Items every payment of a facility would touch (its house balances, its rules stamp) are split
# into this many stripes picked from the journal id: a payment's items share one stripe, so two
# payments meet on all of them or on none.  32 keep the busiest facility well under 1% conflicts
# in a 20x retry storm, and 20 writers on 5 facilities too (docs/scale.md, "House accounts";
# bench/bench_conflicts.py).
MONEY_STRIPES = 32


def stripe_of(key: str, stripes: int) -> int:
    """A stable stripe for ``key`` among ``stripes`` (the same on every machine and run)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest()) % stripes


def get_or_none(model: type[Model], *key: str, consistent: bool = True):
    """The item with this key, or None."""
    try:
        return model.get(*key, consistent_read=consistent)
    except DoesNotExist:
        return None


def resolved(future):
    """What a ``TransactGet`` future holds: the item, or None (also for no future at all)."""
    if future is None:
        return None
    try:
        return future.get()
    except DoesNotExist:
        return None


def written(write: Callable[[], object]) -> bool:
    """Run one conditional write: True when it was written, False when a condition refused it
    (a business answer).  Any other failure (throttling, a timeout, a conflict) propagates."""
    try:
        write()
    except (PutError, UpdateError, DeleteError, TransactWriteError) as error:
        if refused(error):
            return False
        raise
    return True


class StateChanged(Exception):
    """The item was no longer in the state the transition requires."""


class Transaction(TransactWrite):
    """A ``TransactWrite`` that remembers which model each item is, so a cancelled transaction
    can say *which* condition failed.  DynamoDB lists cancellation reasons in the order of the
    request's items, and PynamoDB sends condition checks, deletes, puts, then updates; the same
    grouping is kept here."""

    def __init__(self) -> None:
        super().__init__(connection=transaction_connection())
        self._models: dict[str, list[type]] = {"check": [], "delete": [], "put": [], "update": []}

    def condition_check(self, model_cls, hash_key, range_key=None, condition=None):
        self._models["check"].append(model_cls)
        return super().condition_check(model_cls, hash_key, range_key, condition)

    def delete(self, model, condition=None, **kwargs):
        self._models["delete"].append(type(model))
        return super().delete(model, condition, **kwargs)

    def save(self, model, condition=None, return_values=None):
        self._models["put"].append(type(model))
        return super().save(model, condition, return_values)

    def update(self, model, actions, condition=None, **kwargs):
        self._models["update"].append(type(model))
        return super().update(model, actions, condition, **kwargs)

    def refused_models(self, error: TransactWriteError) -> set[type]:
        """The models whose condition failed in this (cancelled) transaction."""
        if aws_error_code(error) != "TransactionCanceledException":
            return set()
        order = [m for group in ("check", "delete", "put", "update") for m in self._models[group]]
        return {model for model, reason in zip(order, error.cancellation_reasons or [])
                if reason is not None and reason.code == "ConditionalCheckFailed"}


def write_together(fill: Callable[[TransactWrite], None],
                   refusals: dict[type[Model], Callable[[], Exception]] | None = None) -> None:
    """One ``TransactWriteItems`` that ``fill`` builds, all or nothing; retried with a fresh
    transaction on ``TransactionConflict``.  A failed condition on a model named in
    ``refusals`` raises that model's business error; any other failure (another failed
    condition included) raises ``TransactWriteError`` to the caller."""
    def attempt() -> None:
        transaction = Transaction()
        try:
            with transaction:
                fill(transaction)
        except TransactWriteError as error:
            failed = transaction.refused_models(error) if refusals else set()
            for model, answer in (refusals or {}).items():
                if model in failed:
                    raise answer() from None
            raise

    _with_conflict_retries(attempt, TransactWriteError)


def read_together(fill: Callable[[TransactGet], None]) -> None:
    """One consistent ``TransactGetItems`` call; retried when it meets a concurrent write."""
    def attempt() -> None:
        with TransactGet(connection=transaction_connection()) as reads:
            fill(reads)

    _with_conflict_retries(attempt, TransactGetError)


def _with_conflict_retries(action: Callable[[], None], error_type: type[Exception]) -> None:
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            return action()
        except error_type as error:
            if not only_conflicts(error):
                raise
            # One line per conflict (no keys or values): the template counts them in a metric.
            log_event("transaction_conflict", kind=error_type.__name__, attempt=attempt + 1,
                      retried=attempt < CONFLICT_RETRIES)
            if attempt == CONFLICT_RETRIES:
                raise
            time.sleep(random.uniform(0, 0.02 * 2 ** attempt))  # noqa: S311 (retry jitter)


# --- cursors -------------------------------------------------------------------------------

def encode_cursor(last_evaluated_key: dict | None, scope: str) -> str | None:
    """``scope`` binds a cursor to one listing (one account's sessions, say)."""
    if not last_evaluated_key:
        return None
    payload = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True)
    return secrets.sign(payload.encode("utf-8"), f"cursor:{scope}")


def decode_cursor(cursor: str | None, scope: str) -> dict | None:
    if cursor is None:
        return None
    payload = secrets.unsign(cursor, f"cursor:{scope}")
    if payload is None:
        raise InvalidRequest(_("The cursor is not valid for this list."), errors=[
            {"field": "cursor", "problem": _("not a cursor this list gave out")}])
    return json.loads(payload)


def page(results: Iterable[Any], scope: str, render) -> dict:
    """Turn a PynamoDB ``ResultIterator`` into docs/api.md's ``{items, next_cursor}``."""
    items = [render(item) for item in results]
    return {"items": items, "next_cursor": encode_cursor(results.last_evaluated_key, scope)}


def index_page(index, hash_value: str, limit: int, cursor: str | None, render, *,
               newest_first: bool) -> dict:
    """One page of an index partition as docs/api.md's ``{items, next_cursor}``."""
    scope = f"{index.Meta.index_name}:{hash_value}"
    results = index.query(hash_value, scan_index_forward=not newest_first, limit=limit,
                          last_evaluated_key=decode_cursor(cursor, scope))
    return page(results, scope, render)
