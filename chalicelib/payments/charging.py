"""The charge flow every money-moving request shares (deposits, stamp purchases).

Order, and why nothing is lost or taken twice:

1. Replay check first (``Attempt.previous``): a retry of a completed request returns the stored
   response and never reaches the card processor.
2. **Authorize** the card for the total.  A decline (402) or an outage (503) stops here: nothing
   was recorded and nothing charged, so the client may retry with the same key.
3. **Commit** one DynamoDB transaction holding the idempotency record (conditional on no live
   record), the journal, the balances and whatever the caller adds.  All or nothing.
4. If the transaction was refused, **void** the authorization (no money moves; the hold is
   released) and then either replay the winner's response (another request with the same key
   committed first) or report the caller's refusal (e.g. the daily cap was reached meanwhile).
5. If it committed, **capture**.  Capture runs after the commit so the card is charged only for
   money the ledger already holds; the authorization guarantees the funds for days, and the
   capture carries the journal id as its processor idempotency reference, so a failed capture
   can be repeated without charging twice (it is logged as ``capture_failed``; the deposit
   stays completed).

A crash between 2 and 3 leaves only an authorization that expires by itself: no money moved,
nothing recorded, and the retry starts again at 1.  Each attempt authorizes under its own
reference, so a losing concurrent request voids only its own authorization, never the winner's.
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
