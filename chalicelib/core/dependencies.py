"""Which failures mean "a dependency (DynamoDB, SES, SNS, ...) could not serve us just now".
The web layer turns them into a 503 with ``Retry-After``; everything else stays a 500.  A
failed *condition* is a business answer, never a 503.  botocore is imported only when an error
is examined, so importing this module stays cheap.
Why: docs/decisions/dependency-failures.md
"""
from __future__ import annotations

from chalicelib.core.errors import ServiceUnavailable
from chalicelib.core.i18n import _

RETRY_AFTER_SECONDS = 5

TRANSIENT_ERROR_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "Throttling",
    "RequestLimitExceeded", "TooManyRequestsException", "LimitExceededException",
    "InternalServerError", "InternalFailure", "ServiceUnavailable", "ServiceUnavailableException",
    "TransactionConflictException", "TransactionInProgressException", "RequestTimeout",
    "RequestTimeoutException",
})
TRANSIENT_CANCELLATION_REASONS = frozenset({
    "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded",
})


def is_transient(error: BaseException | None) -> bool:
    """True when ``error`` (or what it wraps) is a dependency failure worth retrying."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    seen = 0
    while error is not None and seen < 8:  # follow PynamoDB's ``cause`` and ``raise ... from``
        if isinstance(error, ClientError):
            return _transient_client_error(error)
        if isinstance(error, (ConnectionError, HTTPClientError)):
            return True
        error = getattr(error, "cause", None) or error.__cause__
        seen += 1
    return False


def unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(_("A service we depend on is not answering right now. Nothing was "
                                "lost; please try again in a few seconds."),
                              retry_after_seconds=RETRY_AFTER_SECONDS)


def describe(error: BaseException) -> dict[str, str]:
    """Loggable facts about a dependency failure (names and codes only, never payloads)."""
    facts = {"error": type(error).__name__}
    cause = getattr(error, "cause", None) or error.__cause__
    if cause is not None:
        facts["cause"] = type(cause).__name__
    response = getattr(cause, "response", None) or getattr(error, "response", None) or {}
    code = response.get("Error", {}).get("Code")
    if code:
        facts["aws_error"] = code
    operation = getattr(cause, "operation_name", None) or getattr(error, "operation_name", None)
    if operation:
        facts["operation"] = operation
    return facts


def _transient_client_error(error) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    if code == "TransactionCanceledException":
        reasons = {reason.code if hasattr(reason, "code") else reason.get("Code")
                   for reason in getattr(error, "cancellation_reasons", None)
                   or error.response.get("CancellationReasons", []) if reason is not None}
        reasons.discard("None")
        return bool(reasons) and reasons <= TRANSIENT_CANCELLATION_REASONS
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    return code in TRANSIENT_ERROR_CODES or status >= 500
