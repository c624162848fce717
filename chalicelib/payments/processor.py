"""The one interface to the card processor (the API never sees card numbers).
Authorize then capture, so money is taken only after our ledger commits; every call names a
``reference`` the processor uses as its idempotency key (the same reference never acts twice).
``TestProcessor`` (``PAYMENT_PROCESSOR=test``, refused on prod): ``tok_visa*`` accepted,
``tok_declined`` 402, ``tok_processor_error`` 503, anything else declined.  ``stripe`` is
``payments.stripe_processor``; which one a stage uses is ``Settings.card_processor``.
Why: docs/decisions/charging.md, docs/decisions/stripe.md
"""
from __future__ import annotations

import threading
from typing import NamedTuple, Protocol

from chalicelib.config import get_settings
from chalicelib.core import secrets
from chalicelib.core.errors import Conflict, PaymentRequired, ServiceUnavailable
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


class ProcessorRefused(Conflict):
    """The processor will never do this (a capture of an expired authorization): retrying is
    useless, a person must look (``make audit`` lists it)."""
    code = "processor_refused"
    title = N_("Refused by the payment processor")


class Authorization(NamedTuple):
    authorization_id: str
    amount_cents: int


class CardRefundResult(NamedTuple):
    refund_id: str
    status: str  # "succeeded" | "pending" | "failed" (Stripe's words)

    @property
    def settled(self) -> bool:
        return self.status != "pending"


class CardProcessor(Protocol):
    def authorize(self, token: str, amount_cents: int, reference: str) -> Authorization: ...

    def capture(self, authorization: Authorization, reference: str) -> None: ...

    def void(self, authorization: Authorization, reference: str) -> None: ...

    def refund(self, authorization_id: str, amount_cents: int,
               reference: str) -> CardRefundResult: ...

    def refund_state(self, refund_id: str) -> CardRefundResult: ...


class TestProcessor:
    """In-memory stand-in with the processor's contract; ``operations`` lets tests see what
    happened to the card (("authorize"|"capture"|"void"|"refund", authorization_id, cents))."""

    def __init__(self) -> None:
        self.operations: list[tuple[str, str, int]] = []
        self._done: set[tuple[str, str]] = set()
        self._authorized: dict[str, Authorization] = {}
        self._lock = threading.Lock()

    def authorize(self, token: str, amount_cents: int, reference: str) -> Authorization:
        if token == "tok_processor_error":
            raise ProcessorUnavailable()
        if token != "tok_visa" and not token.startswith("tok_visa_"):
            raise PaymentDeclined()
        with self._lock:  # one live authorization per reference (as stripe_processor does)
            authorization = self._authorized.setdefault(
                reference, Authorization(secrets.new_id("auth_"), amount_cents))
        self._log("authorize", authorization.authorization_id, amount_cents,
                  f"{reference}>{authorization.authorization_id}")  # a new one after a void
        return authorization

    def capture(self, authorization: Authorization, reference: str) -> None:
        self._forget(authorization)
        self._log("capture", authorization.authorization_id, authorization.amount_cents, reference)

    def void(self, authorization: Authorization, reference: str) -> None:
        self._forget(authorization)
        self._log("void", authorization.authorization_id, authorization.amount_cents, reference)

    def _forget(self, authorization: Authorization) -> None:
        """A captured or voided authorization is not handed out again for its reference."""
        with self._lock:
            for key in [k for k, v in self._authorized.items() if v == authorization]:
                del self._authorized[key]

    def refund(self, authorization_id: str, amount_cents: int,
               reference: str) -> CardRefundResult:
        self._log("refund", authorization_id, amount_cents, reference)
        return CardRefundResult(f"re_{authorization_id}", "succeeded")

    def refund_state(self, refund_id: str) -> CardRefundResult:
        return CardRefundResult(refund_id, "succeeded")

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
        settings = get_settings()  # refuses a stage without a usable processor (config.py)
        if settings.card_processor == "stripe":
            from chalicelib.payments.stripe_processor import StripeProcessor

            _processor = StripeProcessor.configured()
        else:
            _processor = TestProcessor()
    return _processor


def use_processor(replacement: CardProcessor | None) -> None:
    """Swap the processor (tests); ``None`` goes back to the configured one."""
    global _processor
    _processor = replacement
