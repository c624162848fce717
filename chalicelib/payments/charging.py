"""The charge flow every money-moving request shares (deposits, stamp purchases).
Replay check, authorize, commit the ledger transaction, then capture (or void when the
transaction was refused): the card is charged only for money the ledger already holds, and each
processor call carries a reference so repeating it cannot charge twice.  A failed capture is
logged as ``capture_failed``; nothing here retries it.
Why: docs/decisions/charging.md
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.core.errors import DomainError
from chalicelib.core.idempotency import Attempt, StoredResponse
from chalicelib.core.logs import log_event
from chalicelib.core.store import refused, write_together
from chalicelib.payments.processor import Authorization, processor


def charge(attempt: Attempt, token: str, total_cents: int, journal_id: str,
           write: Callable[[TransactWrite, Authorization], None], response: dict,
           refusal: Callable[[], DomainError]) -> StoredResponse:
    """Authorize, commit ``write(transaction, authorization)`` plus the idempotency record, then
    capture.  Returns the response to send (``replayed`` when a concurrent request with the same
    key won).  ``refusal`` builds the error for a failed condition other than the key's."""
    card = processor()
    authorization = card.authorize(token, total_cents, reference=f"{journal_id}:authorize")
    stored: list[StoredResponse] = []

    def fill(transaction: TransactWrite) -> None:
        stored[:] = [attempt.record(transaction, 201, response)]
        write(transaction, authorization)

    try:
        write_together(fill)
    except TransactWriteError as error:
        card.void(authorization, reference=f"{journal_id}:void")
        if not refused(error):
            raise
        replay = attempt.previous()
        if replay is not None:
            return replay
        raise refusal() from None
    try:
        card.capture(authorization, reference=f"{journal_id}:capture")
    except DomainError as error:
        log_event("capture_failed", logging.ERROR, journal_id=journal_id, error=error.code)
    return stored[0]
