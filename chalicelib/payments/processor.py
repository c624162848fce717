"""The one interface to the card processor (the API never sees card numbers).
Authorize then capture, so money is taken only after our ledger commits; every call names a
``reference`` the processor can use as its idempotency key.  ``TestProcessor``
(``PAYMENT_PROCESSOR=test``, refused on prod): ``tok_visa*`` accepted, ``tok_declined`` 402,
``tok_processor_error`` 503, anything else declined.
Why: docs/decisions/charging.md
"""
from __future__ import annotations

import threading
from typing import NamedTuple, Protocol

from chalicelib.config import ConfigurationError, get_settings
from chalicelib.core import secrets
from chalicelib.core.errors import PaymentRequired, ServiceUnavailable
from chalicelib.core.i18n import N_, _


class PaymentDeclined(PaymentRequired):
    code = "payment_declined"
    title = N_("Payment declined")

    def __init__(self) -> None:
        super().__init__(_("The card was declined. Nothing was charged; try another card."))


class ProcessorUnavailable(ServiceUnavailable):
    code = "processor_unavailable"
    title = N_("Payment processor unavailable")

    def __init__(self) -> None:
        super().__init__(_("The payment processor did not answer. Nothing was charged; please "
                           "try again in a moment with the same Idempotency-Key."),
                         retry_after_seconds=5)


class Authorization(NamedTuple):
    authorization_id: str
    amount_cents: int


class CardProcessor(Protocol):
    def authorize(self, token: str, amount_cents: int, reference: str) -> Authorization: ...

    def capture(self, authorization: Authorization, reference: str) -> None: ...

    def void(self, authorization: Authorization, reference: str) -> None: ...

    def refund(self, authorization_id: str, amount_cents: int, reference: str) -> None: ...


class TestProcessor:
    """In-memory stand-in with the processor's contract; ``operations`` lets tests see what
    happened to the card (("authorize"|"capture"|"void"|"refund", authorization_id, cents))."""

    def __init__(self) -> None:
        self.operations: list[tuple[str, str, int]] = []
        self._done: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def authorize(self, token: str, amount_cents: int, reference: str) -> Authorization:
        if token == "tok_processor_error":
            raise ProcessorUnavailable()
        if token != "tok_visa" and not token.startswith("tok_visa_"):
            raise PaymentDeclined()
        authorization = Authorization(secrets.new_id("auth_"), amount_cents)
        self._log("authorize", authorization.authorization_id, amount_cents, reference)
        return authorization

    def capture(self, authorization: Authorization, reference: str) -> None:
        self._log("capture", authorization.authorization_id, authorization.amount_cents, reference)

    def void(self, authorization: Authorization, reference: str) -> None:
        self._log("void", authorization.authorization_id, authorization.amount_cents, reference)

    def refund(self, authorization_id: str, amount_cents: int, reference: str) -> None:
        self._log("refund", authorization_id, amount_cents, reference)

    def _log(self, operation: str, authorization_id: str, cents: int, reference: str) -> None:
        with self._lock:  # a reference is acted on once, as a real processor's idempotency does
            if (operation, reference) in self._done:
                return
            self._done.add((operation, reference))
            self.operations.append((operation, authorization_id, cents))

    def net_cents(self) -> int:
        """Money taken from cards minus money returned (tests compare it with the ledger)."""
        signs = {"capture": 1, "refund": -1}
        return sum(signs.get(op, 0) * cents for op, _ref, cents in self.operations)


_processor: CardProcessor | None = None


def processor() -> CardProcessor:
    global _processor
    if _processor is None:
        settings = get_settings()
        if settings.payment_processor != "test":
            raise ConfigurationError(f"unknown PAYMENT_PROCESSOR {settings.payment_processor!r}")
        if settings.is_production:
            raise ConfigurationError("the test card processor cannot run on the prod stage")
        _processor = TestProcessor()
    return _processor


def use_processor(replacement: CardProcessor | None) -> None:
    """Swap the processor (tests); ``None`` goes back to the configured one."""
    global _processor
    _processor = replacement
