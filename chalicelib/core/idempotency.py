"""Idempotency keys (docs/api.md "Conventions"): a retried request replays the first response
instead of acting twice.  The one implementation for everything that charges a card or spends
stamps or a balance.  The key's record is written in the same DynamoDB transaction as the
effect, conditioned on no live record, so at most one of two racing requests commits and the
other replays it.  Usage: ``Attempt(...)``, ``previous()``, ``record(transaction, ...)``.
Why: docs/decisions/idempotency.md
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import NamedTuple

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.transactions import TransactGet, TransactWrite

from chalicelib.config import get_settings
from chalicelib.core import clock
from chalicelib.core.errors import Conflict, InvalidRequest
from chalicelib.core.store import (BaseMeta, ExpiringModel, TableName, get_or_none,
                                   register, resolved)
from chalicelib.core.i18n import _

HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # printable ASCII, no spaces (the document shows it too)


class RecordsByAccount(GlobalSecondaryIndex):
    """Keys only: an account's records, for its data export and erasure (privacy)."""

    class Meta:
        index_name = "by_account"
        projection = KeysOnlyProjection()

    account_id = UnicodeAttribute(hash_key=True)


@register
class IdempotencyRecord(ExpiringModel):
    class Meta(BaseMeta):
        table_name = TableName("idempotency-keys")

    # "<account_id>:<sha256 of the key>": scoped per account, fixed length whatever the key.
    scope_key = UnicodeAttribute(hash_key=True)
    fingerprint = UnicodeAttribute()
    status_code = NumberAttribute()
    response_body = UnicodeAttribute()  # the exact JSON text that was sent
    created_at = UnicodeAttribute()
    account_id = UnicodeAttribute(null=True)
    by_account = RecordsByAccount()


class StoredResponse(NamedTuple):
    status: int
    text: str
    replayed: bool = False  # True when this is an earlier request's response, sent again

    def body(self) -> dict:
        """The body to hand back; serialising it again gives ``text`` byte for byte."""
        return json.loads(self.text)

    def headers(self) -> dict[str, str]:
        """A replay is marked so clients can tell."""
        return {REPLAYED_HEADER: "true"} if self.replayed else {}


def key_from(headers, required: bool = True) -> str | None:
    """The request's ``Idempotency-Key``, checked; 400 when required and missing."""
    key = headers.get(HEADER)
    if key is None or key == "":
        if required:
            raise InvalidRequest(_("This request charges or spends: send an Idempotency-Key header "
                                   "(a unique value per operation, reused only to retry it, so a "
                                   "retry never acts twice)."), code="idempotency_key_required",
                                 errors=[{"field": "Idempotency-Key", "problem": _("is required")}])
        return None
    if not re.match(KEY_PATTERN, key):
        raise InvalidRequest(_("The Idempotency-Key must be 1 to 255 printable ASCII characters "
                               "without spaces."), code="invalid_idempotency_key",
                             errors=[{"field": "Idempotency-Key", "problem": _("is not a valid key")}])
    return key


def serialise(body: dict) -> str:
    """The JSON text of a response, as ``web.endpoint.json_response`` sends it."""
    return json.dumps(body, ensure_ascii=False)


class Attempt:
    def __init__(self, account_id: str, key: str, operation: str, payload: dict) -> None:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        self.account_id = account_id
        self.scope_key = f"{account_id}:{digest}"
        canonical = json.dumps([operation, payload], sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False)
        self.fingerprint = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        self._future = None

    def read_in(self, reads: TransactGet) -> None:
        """Read the record as part of the caller's ``TransactGet`` (saves a round trip)."""
        self._future = reads.get(IdempotencyRecord, self.scope_key)

    def previous(self) -> StoredResponse | None:
        """The response to replay, None if the key is new, or 409 if it was used for another
        request.  Reads the table unless ``read_in`` already did (and is not re-used after)."""
        if self._future is not None:
            future, self._future = self._future, None
            record = resolved(future)
        else:
            record = get_or_none(IdempotencyRecord, self.scope_key)
        if record is None or record.is_expired():
            return None
        if record.fingerprint != self.fingerprint:
            raise Conflict(_("This Idempotency-Key was already used for a different request. "
                             "Use a new key for a new operation."), code="idempotency_key_reused")
        return StoredResponse(int(record.status_code), record.response_body, replayed=True)

    def record(self, transaction: TransactWrite, status: int, body: dict) -> StoredResponse:
        """Add the key's record to the effect's transaction; the transaction fails if a live
        record exists (an expired one that was not yet deleted may be replaced)."""
        now = clock.now()
        stored = StoredResponse(status, serialise(body))
        record = IdempotencyRecord(self.scope_key, fingerprint=self.fingerprint,
                                   status_code=status, response_body=stored.text,
                                   created_at=clock.iso(now), account_id=self.account_id)
        record.set_expiry(now + get_settings().idempotency_key_seconds)
        transaction.save(record, condition=(IdempotencyRecord.scope_key.does_not_exist()
                                            | (IdempotencyRecord.expires_at <= int(now))))
        return stored
