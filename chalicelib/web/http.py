"""App-wide HTTP conventions, installed once by ``app.py`` after the Blueprints.

One middleware wraps every request: it binds the request id to the logs, turns domain errors and
Chalice's own error bodies into RFC 9457 problems, adds the security headers (HSTS among them)
and the CORS headers, and writes one access line.  CORS is decided per request from the
stage's ``CORS_ALLOW_ORIGIN`` (read at run time), so preflight ``OPTIONS`` routes are registered
for every path and answered here.
"""
from __future__ import annotations

import time
import uuid

from chalice import Response

from chalicelib.config import get_settings
from chalicelib.core import i18n
from chalicelib.core.logs import log_event, request_id
from chalicelib.web import problems
from chalicelib.web.endpoint import speaking

ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key"
# Browsers that once reached the API (or the reset page) over HTTPS never try plain HTTP again
# for two years.  The gateway's own error responses (scripts/cfn_resources.py) and the local
# server's 404 carry it too, so it is on every response.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"
ANY_CONTENT_TYPE = ["*/*"]


def install(app) -> None:
    app.register_middleware(_handle_http, "http")
    for path, methods in list(app.routes.items()):
        if "OPTIONS" not in methods:
            app.route(path, methods=["OPTIONS"], content_types=ANY_CONTENT_TYPE)(_preflight)


def _preflight(**_path_params: str) -> Response:
    return Response(body="", status_code=204)


def _handle_http(event, get_response) -> Response:
    started = time.perf_counter()
    context = event.context or {}
    # API Gateway's request id; under ``chalice local`` and the test client, the Lambda one.
    current_id = (context.get("requestId")
                  or getattr(getattr(event, "lambda_context", None), "aws_request_id", None)
                  or uuid.uuid4().hex)
    token = request_id.set(current_id)
    try:
        response = _respond(event, get_response)
        _add_headers(event, response)
        response.headers["X-Request-Id"] = current_id
        log_event("request", method=event.method, path=context.get("resourcePath"),
                  status=response.status_code, ms=round((time.perf_counter() - started) * 1000, 1))
        return response
    finally:
        request_id.reset(token)


def _respond(event, get_response) -> Response:
    # Views turn their own errors into problems (``endpoint``); what arrives here in Chalice's
    # ``{"Code", "Message"}`` shape comes from Chalice's routing (405, 415) and is rewritten.
    response = get_response(event)
    if problems.is_chalice_error(response):  # before any view ran: the header's language
        with i18n.using(i18n.negotiate(event.headers.get("accept-language"))):
            return speaking(problems.from_chalice_error(response))
    return response


def _add_headers(event, response: Response) -> None:
    headers = response.headers
    headers.setdefault("Cache-Control", "no-store")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    allowed = get_settings().cors_allow_origin
    origin = event.headers.get("origin")
    if allowed and origin and (allowed == "*" or origin == allowed):
        headers["Access-Control-Allow-Origin"] = origin if allowed != "*" else "*"
        headers["Vary"] = "Origin"
        if event.method == "OPTIONS":
            headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
            headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            headers["Access-Control-Max-Age"] = "600"
