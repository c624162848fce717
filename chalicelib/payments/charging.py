"""The charge flow every money-moving request shares (deposits, stamp purchases).
Replay check, authorize, commit the ledger transaction (with the payment's ``capture: pending``
record), then capture (or void when the transaction was refused): the card is charged only for
money the ledger already holds.  The authorization's reference is derived from the request's
Idempotency-Key and body, so a retried request reuses the same authorization at the processor
instead of opening a second one.  A capture that fails stays pending for the reconciliation job.
Why: docs/decisions/charging.md, docs/decisions/stripe.md
"""
from __future__ import annotations

from collections.abc import Callable

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.core import clock
from chalicelib.core.errors import DomainError
from chalicelib.core.idempotency import Attempt, StoredResponse
from chalicelib.core.store import get_or_none, refused, write_together
from chalicelib.payments import settlement
from chalicelib.payments.processor import Authorization, processor
from chalicelib.payments.store import CardPayment


def charge(attempt: Attempt, token: str, total_cents: int, journal_id: str, kind: str,
           facility_id: str, write: Callable[[TransactWrite, Authorization], None],
           response: dict, refusal: Callable[[], DomainError]) -> StoredResponse:
    """Authorize, commit ``write(transaction, authorization)`` plus the idempotency record and
    the card payment's record, then capture.  Returns the response to send (``replayed`` when
    a concurrent request with the same key won).  ``refusal`` builds the error for a failed
    condition other than the key's."""
    card = processor()
    authorization = card.authorize(token, total_cents,
                                   reference=f"{attempt.scope_key}:{attempt.fingerprint}:authorize")
    stored: list[StoredResponse] = []
    now = clock.iso()

    def fill(transaction: TransactWrite) -> None:
        stored[:] = [attempt.record(transaction, 201, response)]
        transaction.save(settlement.pending_capture(authorization, journal_id, kind, facility_id,
                                                    now),
                         condition=CardPayment.payment_id.does_not_exist())
        write(transaction, authorization)

    try:
        write_together(fill)
    except TransactWriteError as error:
        # Retries of one request share its authorization: void it only if no transaction
        # committed it (a concurrent twin may have, and captures it).
        if get_or_none(CardPayment, authorization.authorization_id) is None:
            card.void(authorization, reference=f"{authorization.authorization_id}:cancel")
        replay = attempt.previous()
        if replay is not None:
            return replay
        if not refused(error):
            raise
        raise refusal() from None
    settlement.capture(authorization)
    return stored[0]
