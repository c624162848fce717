"""RFC 9457 problem responses: the only place errors become HTTP."""
from __future__ import annotations

import json

from chalice import Response

from chalicelib.core.errors import DomainError
from chalicelib.core.i18n import N_, _

PROBLEM_TYPE_BASE = "https://kinlink.example/problems/"

STATUS_BY_KIND = {
    "invalid": 400,
    "payment_required": 402,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "too_large": 413,
    "unsupported_media_type": 415,
    "unprocessable": 422,
    "rate_limited": 429,
    "unavailable": 503,
}

TITLE_BY_STATUS = {
    400: N_("Invalid request"),
    401: N_("Authentication required"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    413: N_("Request too large"),
    415: N_("Unsupported media type"),
    500: N_("Internal error"),
    503: N_("Service temporarily unavailable"),
}
OTHER_TITLE = N_("Error")  # (an id marked inside a _() call would not be extracted)


def problem(status: int, code: str, detail: str, title: str | None = None,
            headers: dict[str, str] | None = None, **extensions) -> Response:
    body = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": _(title or TITLE_BY_STATUS.get(status, OTHER_TITLE)),
        "status": status,
        "detail": detail,
        "code": code,
        **extensions,
    }
    all_headers = {"Content-Type": "application/problem+json"}
    retry_after = extensions.get("retry_after_seconds")
    if retry_after is not None:
        all_headers["Retry-After"] = str(int(retry_after))
    all_headers.update(headers or {})
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status,
                    headers=all_headers)


def from_domain_error(error: DomainError) -> Response:
    return problem(STATUS_BY_KIND[error.kind], error.code, error.detail, title=error.title,
                   **error.extensions)


# Chalice answers some requests itself with ``{"Code": ..., "Message": ...}``; these become
# problems with our own codes and wording (translated when rendered).
_CHALICE_ERRORS = {
    405: ("method_not_allowed", N_("This method is not supported on this resource.")),
    415: ("unsupported_media_type", N_("Send the request body as application/json.")),
    400: ("invalid_request", N_("The request could not be understood.")),
    404: ("not_found", N_("No such resource.")),
    500: ("internal_error", N_("Something went wrong on our side; nothing was changed.")),
}


def from_chalice_error(response: Response) -> Response:
    status = response.status_code
    code, detail = _CHALICE_ERRORS.get(status, ("internal_error" if status >= 500 else
                                                "invalid_request", N_("The request failed.")))
    extra = {k: v for k, v in response.headers.items() if k.lower() == "allow"}
    return problem(status, code, _(detail), headers=extra)


def is_chalice_error(response: Response) -> bool:
    body = response.body
    return (response.status_code >= 400 and isinstance(body, dict)
            and set(body) == {"Code", "Message"})
