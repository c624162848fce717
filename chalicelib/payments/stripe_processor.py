"""Stripe behind the card-processor port, with the official ``stripe`` library (imported on
first use, so ``import app`` stays light).  A PaymentIntent is created and confirmed with the
client's PaymentMethod (``pm_...``) and ``capture_method=manual``: that is the authorization;
capture and cancel follow the ledger.  Every call carries an idempotency key digested from our
reference, waits ``STRIPE_TIMEOUT_SECONDS`` at most and is retried ``STRIPE_MAX_RETRIES``
times.  Errors become the port's: a card error 402, anything transient 503.  Nothing here logs a
request or response body (the library's own logger is held at WARNING).
Why: docs/decisions/stripe.md
"""
from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from typing import Any

from chalicelib.config import get_settings
from chalicelib.core import secrets
from chalicelib.core.i18n import _
from chalicelib.core.logs import log_event
from chalicelib.payments.processor import (Authorization, CardRefundResult, PaymentDeclined,
                                           ProcessorRefused, ProcessorUnavailable)

DEFAULT_API_BASE = "https://api.stripe.com"
MAX_GENERATIONS = 3  # authorizations one request may open after earlier ones were cancelled


def idempotency_key(reference: str) -> str:
    """Stripe's key for one of our operations: a digest, so our clients' keys and account ids
    never show in Stripe's dashboard; the same reference always gives the same key."""
    return "kinlink-" + hashlib.sha256(reference.encode("utf-8")).hexdigest()


def secret_value(arn: str, plain: str, name: str, prefix: str | tuple[str, ...]) -> str:
    """``name``'s value: from Secrets Manager when ``arn`` is set (read once per container),
    else the plain setting.  One still holding the stack's placeholder (or not looking like
    Stripe's) is logged with what to do and answered as an unavailable processor (503).
    Never logged itself."""
    value = secrets.stored_secret(arn) if arn else plain
    if not value.startswith(prefix):
        secrets.stored_secret.cache_clear()  # read again next time: it may have just been put
        log_event("stripe_secret_not_set", logging.ERROR, setting=name,
                  action="Put Stripe's value into the secret {name}_ARN names "
                         "(aws secretsmanager put-secret-value), or set " + name)
        raise ProcessorUnavailable()
    return value


def webhook_secret() -> str:
    settings = get_settings()
    return secret_value(settings.stripe_webhook_secret_arn, settings.stripe_webhook_secret,
                        "STRIPE_WEBHOOK_SECRET", "whsec_")


class StripeProcessor:
    def __init__(self, api_base: str, timeout_seconds: int, max_retries: int,
                 currency: str) -> None:
        self.api_base, self.timeout_seconds = api_base, timeout_seconds
        self.max_retries, self.currency = max_retries, currency

    @classmethod
    def configured(cls) -> StripeProcessor:
        settings = get_settings()
        return cls(settings.stripe_api_base or DEFAULT_API_BASE, settings.stripe_timeout_seconds,
                   settings.stripe_max_retries, settings.stripe_currency)

    @functools.cached_property
    def client(self):
        import stripe

        logging.getLogger("stripe").setLevel(logging.WARNING)  # its DEBUG lines carry bodies
        settings = get_settings()
        api_key = secret_value(settings.stripe_secret_key_arn, settings.stripe_secret_key,
                               "STRIPE_SECRET_KEY", ("sk_", "rk_"))
        return stripe.StripeClient(
            api_key, base_addresses={"api": self.api_base}, max_network_retries=self.max_retries,
            http_client=stripe.RequestsClient(timeout=self.timeout_seconds))

    def authorize(self, token: str, amount_cents: int, reference: str) -> Authorization:
        """A retry of one request gets its earlier PaymentIntent back (same key).  Stripe then
        replays the first answer, so the intent is looked up: one cancelled or captured since
        (a failed transaction, or a key we no longer remember) is followed by a new one under
        the next key."""
        for generation in range(MAX_GENERATIONS):
            key = idempotency_key(reference if generation == 0 else f"{reference}:{generation}")
            intent = self._call("authorize", lambda key=key: self.client.v1.payment_intents.create(
                params={"amount": amount_cents, "currency": self.currency,
                        "payment_method": token, "payment_method_types": ["card"],
                        "capture_method": "manual", "confirm": True},
                options={"idempotency_key": key}))
            status = intent.status
            if _replayed(intent):
                status = self._status(intent.id)
            if status not in ("canceled", "succeeded"):
                break
        if status != "requires_capture":  # e.g. requires_action: 3-D Secure we cannot do here
            log_event("card_not_authorized", payment_id=intent.id, status=status)
            if status not in ("canceled", "succeeded"):
                self.void(Authorization(intent.id, amount_cents), f"{intent.id}:cancel")
            raise PaymentDeclined()
        return Authorization(intent.id, amount_cents)

    def capture(self, authorization: Authorization, reference: str) -> None:
        intents = self.client.v1.payment_intents
        try:
            self._call("capture", lambda: intents.capture(
                authorization.authorization_id, options=self._once(reference)))
        except ProcessorRefused:
            if self._status(authorization.authorization_id) != "succeeded":
                raise  # cancelled or expired: this money will not come
            # captured already (an earlier attempt whose answer was lost): settled

    def void(self, authorization: Authorization, reference: str) -> None:
        intents = self.client.v1.payment_intents
        try:
            self._call("cancel", lambda: intents.cancel(
                authorization.authorization_id, options=self._once(reference)))
        except ProcessorRefused:
            if self._status(authorization.authorization_id) != "canceled":
                raise

    def refund(self, authorization_id: str, amount_cents: int,
               reference: str) -> CardRefundResult:
        refund = self._call("refund", lambda: self.client.v1.refunds.create(
            params={"payment_intent": authorization_id, "amount": amount_cents},
            options={"idempotency_key": idempotency_key(reference)}))
        return CardRefundResult(refund.id, _refund_status(refund.status))

    def refund_state(self, refund_id: str) -> CardRefundResult:
        refund = self._call("refund_state", lambda: self.client.v1.refunds.retrieve(refund_id))
        return CardRefundResult(refund.id, _refund_status(refund.status))

    @staticmethod
    def _once(reference: str) -> dict:
        """Capture and cancel are not retried within a request (the settlement job retries a
        capture), which keeps a whole payment well under API Gateway's 29 s."""
        return {"idempotency_key": idempotency_key(reference), "max_network_retries": 0}

    def _status(self, payment_id: str) -> str:
        return self._call("retrieve", lambda: self.client.v1.payment_intents.retrieve(
            payment_id)).status

    def _call(self, operation: str, request: Callable[[], Any]) -> Any:
        """One Stripe request, its errors turned into the port's (logged by type and code only:
        a Stripe error's message may quote what was sent)."""
        import stripe

        try:
            return request()
        except stripe.CardError as error:
            log_event("card_declined", operation=operation, stripe_error=error.code)
            raise PaymentDeclined() from None
        except stripe.InvalidRequestError as error:
            log_event("processor_refused", logging.WARNING, operation=operation,
                      stripe_error=error.code)
            if operation == "authorize":  # an unknown or unusable PaymentMethod
                raise PaymentDeclined() from None
            raise ProcessorRefused(_("The payment processor refused this operation.")) from None
        except (stripe.AuthenticationError, stripe.PermissionError) as error:
            log_event("processor_credentials_refused", logging.ERROR, operation=operation,
                      error=type(error).__name__)
            raise ProcessorUnavailable() from None
        except stripe.StripeError as error:  # connection, timeout, rate limit, 5xx, idempotency
            log_event("processor_unavailable", logging.ERROR, operation=operation,
                      error=type(error).__name__, status=error.http_status)
            raise ProcessorUnavailable() from None


def _replayed(stripe_object) -> bool:
    response = stripe_object.last_response
    return response is not None and response.headers.get("Idempotent-Replayed") == "true"


def _refund_status(status: str | None) -> str:
    if status == "succeeded":
        return "succeeded"
    if status in ("failed", "canceled"):
        return "failed"
    return "pending"  # pending, requires_action
