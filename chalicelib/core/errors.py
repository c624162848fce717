"""Domain errors: what went wrong, in the domain's words.

Each error carries a stable ``code`` (docs/api.md's snake_case codes), a human ``detail`` and a
``kind`` that says what sort of failure it is.  The web layer maps ``kind`` to an HTTP status in
one place (``chalicelib.web.problems``); nothing below the routes speaks HTTP.
"""
from __future__ import annotations

from typing import Any

from chalicelib.core.i18n import N_, _, ngettext


class DomainError(Exception):
    kind = "invalid"
    code = "invalid_request"
    title = N_("Invalid request")

    def __init__(self, detail: str, *, code: str | None = None, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extensions = extensions


class InvalidRequest(DomainError):
    """The input is malformed or breaks a rule of the contract."""


class Unauthenticated(DomainError):
    kind = "unauthenticated"
    code = "unauthenticated"
    title = N_("Authentication required")


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    title = N_("Invalid credentials")

    def __init__(self) -> None:
        # One wording for every failure so the response never tells which part was wrong.
        super().__init__(_("The email or password is incorrect."))


class Forbidden(DomainError):
    kind = "forbidden"
    code = "forbidden"
    title = N_("Forbidden")


class NotFound(DomainError):
    kind = "not_found"
    code = "not_found"
    title = N_("Not found")


class Conflict(DomainError):
    kind = "conflict"
    code = "conflict"
    title = N_("Conflict")


class PaymentRequired(DomainError):
    kind = "payment_required"
    code = "payment_required"
    title = N_("Payment required")


class Unprocessable(DomainError):
    kind = "unprocessable"
    code = "unprocessable"
    title = N_("Request cannot be processed")


class RateLimited(DomainError):
    """Too many attempts; ``retry_after_seconds`` says how long to wait."""

    kind = "rate_limited"
    code = "rate_limited"
    title = N_("Too many requests")

    def __init__(self, detail: str, *, retry_after_seconds: int, code: str | None = None) -> None:
        super().__init__(detail, code=code, retry_after_seconds=retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds


class AccountLocked(RateLimited):
    code = "account_locked"
    title = N_("Account temporarily locked")

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            ngettext("Too many failed sign-in attempts. For your protection, sign-in is paused "
                     "for %(n)s minute. You can still reset your password.",
                     "Too many failed sign-in attempts. For your protection, sign-in is paused "
                     "for %(n)s minutes. You can still reset your password.",
                     minutes_to_wait(retry_after_seconds)),
            retry_after_seconds=retry_after_seconds,
        )


class AccountHeld(Forbidden):
    """Locked until someone unlocks it: the lock a policy's ``hold_after_locks`` names."""

    code = "account_held"
    title = N_("Locked until unlocked")

    def __init__(self) -> None:
        super().__init__(_("Sign-in is locked until it is unlocked for you."))


class ServiceUnavailable(DomainError):
    """A dependency failed; the request changed nothing and may be retried."""

    kind = "unavailable"
    code = "service_unavailable"
    title = N_("Service temporarily unavailable")


def listing(found: list[dict]) -> str:
    """The detail of a request refused for its fields: their first five problems, each
    ``{"field", "problem"}`` already in the reader's language."""
    return "; ".join(_("%(field)s %(problem)s", field=item["field"], problem=item["problem"])
                     for item in found[:5]) + "."


def minutes_to_wait(retry_after_seconds: int) -> int:
    """Whole minutes, rounded up and at least one: what "try again in N minutes" says."""
    return max(1, -(-retry_after_seconds // 60))
