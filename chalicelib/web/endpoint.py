"""``@endpoint``: one decorator that declares a route the way the contract describes it.
It registers the Chalice route, validates input, authenticates through the authenticator
``app.py`` hands over (``use_authenticator``: the web edge imports no capability), and records
everything in ``ENDPOINTS`` so the OpenAPI document comes from the declarations the code runs on.
Why: docs/decisions/web-edge.md
"""
from __future__ import annotations

import functools
import ipaddress
import json
import logging
from typing import Any, NamedTuple
from collections.abc import Callable

from chalice import Response

from chalicelib.core import dependencies
from chalicelib.core.errors import DomainError, InvalidRequest, listing
from chalicelib.core import i18n, idempotency, secrets
from chalicelib.core.i18n import _
from chalicelib.core.idempotency import KEY_PATTERN, StoredResponse
from chalicelib.core.identity import Client, Principal
from chalicelib.core.logs import log_event
from chalicelib.core.ratelimit import limit_source
from chalicelib.web import schema as schemas
from chalicelib.web.problems import from_domain_error, problem

MAX_BODY_BYTES = 64 * 1024
EDGE_HEADER = "X-Kinlink-Edge"  # added by our CloudFront distribution (config.edge_origin_secret)
ANY_ROLE = ("family", "staff", "admin")


class ApiRequest(NamedTuple):
    body: dict
    query: dict
    headers: Any
    client: Client
    principal: Principal | None = None
    text: str | None = None  # a body sent as the endpoint's ``text_body`` type (e.g. CSV)

    @property
    def idempotency_key(self) -> str:
        """The required ``Idempotency-Key``, checked when the view first asks for it (so a view
        that screens its input first answers that problem first)."""
        return idempotency.key_from(self.headers)


class Reply(NamedTuple):
    status: int
    body: Any = None
    headers: dict[str, str] | None = None
    # Anything but JSON (an HTML page) is sent as the string ``body`` is, with this type.
    content_type: str = "application/json"


class Header(NamedTuple):
    """A request header an endpoint reads, as the OpenAPI document declares it.  The view checks
    the value itself, so the problem it answers carries the domain's own code."""
    name: str
    required: bool = False
    schema: dict = {"type": "string"}  # shared, never mutated (the document copies it)
    description: str = ""


IDEMPOTENCY_KEY_SCHEMA = schemas.string(1, 255, pattern=KEY_PATTERN)


def idempotency_key(required: bool) -> Header:
    return Header("Idempotency-Key", required, IDEMPOTENCY_KEY_SCHEMA,
                  "A unique value per operation (printable ASCII, no spaces), reused only to "
                  "retry it: the same key and body replay the original response.")


class Example(NamedTuple):
    """One call as a client makes it, for the document (docs/api.md and ``GET /docs`` show it):
    the request body, path and query parameter values, and the success response's body.
    tests/test_api_docs.py checks each against the schemas the endpoint declares."""
    request: dict | None = None
    params: dict[str, Any] = {}  # shared, never mutated (the document copies it)
    response: Any = None


class EndpointSpec(NamedTuple):
    method: str
    path: str
    summary: str
    roles: tuple[str, ...] | None
    body: dict | None
    query: dict | None
    status: int
    response: dict | None
    problems: tuple[str, ...]
    tag: str
    max_body_bytes: int = MAX_BODY_BYTES
    headers: tuple[Header, ...] = ()
    during_mfa_enrollment: bool = False
    source_limit: str | None = None
    idempotent: bool = False
    description: str = ""
    example: Example | None = None
    text_body: str | None = None
    also_status: tuple[int, ...] = ()  # other success statuses, same body (a repeat's 200)


IDEMPOTENCY_PROBLEMS = ("idempotency_key_required", "invalid_idempotency_key",
                        "idempotency_key_reused")
ENDPOINTS: list[EndpointSpec] = []


def endpoint(blueprint, method: str, path: str, *, summary: str, roles: tuple[str, ...] | None = None,
             body: dict | None = None, query: dict | None = None, status: int = 200,
             response: dict | None = None, problems: tuple[str, ...] = (), tag: str = "",
             max_body_bytes: int = MAX_BODY_BYTES, headers: tuple[Header, ...] = (),
             during_mfa_enrollment: bool = False, source_limit: str | None = None,
             idempotent: bool = False, description: str = "",
             example: Example | None = None, text_body: str | None = None,
             also_status: tuple[int, ...] = ()) -> Callable:
    """``description`` and ``example`` are for the document (every endpoint has both);
    ``max_body_bytes`` raises the body limit for endpoints that carry long text; ``headers``
    declares the request headers the view reads (for the document); ``during_mfa_enrollment``
    lets a staff or admin session that has not enrolled TOTP yet call it (every other endpoint
    refuses it: the allow-list is these declarations); ``source_limit`` names the
    per-source-address policy (``core.ratelimit.limit_source``) every request counts against,
    before anything else is done (429 ``rate_limited``); ``idempotent`` requires an
    ``Idempotency-Key`` (``request.idempotency_key``) and sends the view's ``StoredResponse``;
    ``text_body`` names a text type (``text/csv``) accepted besides JSON, handed to the view
    as ``request.text`` (the JSON schema then does not apply); ``also_status`` lists other
    success statuses the view may answer with the same body."""
    if source_limit is not None and "rate_limited" not in problems:
        problems = (*problems, "rate_limited")
    if idempotent:
        headers = (*headers, idempotency_key(True))
        problems = (*problems, *(code for code in IDEMPOTENCY_PROBLEMS if code not in problems))
    spec = EndpointSpec(method, path, summary, roles, body, query, status, response, problems, tag,
                        max_body_bytes, headers, during_mfa_enrollment, source_limit, idempotent,
                        description, example, text_body, also_status)
    ENDPOINTS.append(spec)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def handler(**path_params: str) -> Response:
            # Chalice turns any exception escaping a view into its own 500 body, so errors are
            # rendered here, where the domain error is still in hand.  A dependency that failed
            # for now (throttled, unreachable, 5xx) is a retryable 503; anything else a 500.
            raw = blueprint.current_request
            with i18n.using(i18n.negotiate(raw.headers.get("accept-language"))):
                return speaking(_answer(spec, view, raw, path_params))

        content_types = ["application/json", *([text_body] if text_body else [])]
        blueprint.route(path, methods=[method], content_types=content_types)(handler)
        return view

    return decorator


def _answer(spec: EndpointSpec, view: Callable, raw, path_params: dict) -> Response:
    try:
        return _run(spec, view, raw, path_params)
    except DomainError as error:
        return from_domain_error(error)
    except Exception as error:
        if dependencies.is_transient(error):
            log_event("dependency_unavailable", logging.ERROR, path=spec.path,
                      **dependencies.describe(error))
            return from_domain_error(dependencies.unavailable())
        log_event("unhandled_error", logging.ERROR, exc_info=True)
        return problem(500, "internal_error",
                       _("Something went wrong on our side. Please try again."))


def speaking(response: Response) -> Response:
    """Says which language the words of ``response`` are in (docs/api.md "Conventions")."""
    response.headers["Content-Language"] = i18n.current()
    response.headers["Vary"] = "Accept-Language"
    return response


# (token, roles, client, during_mfa_enrollment) -> Principal, or a domain error (401/403).
Authenticator = Callable[[str | None, tuple[str, ...], Client, bool], Principal]
_authenticator: Authenticator | None = None


def use_authenticator(authenticate: Authenticator) -> None:
    """Who checks bearer tokens; ``app.py`` wires accounts' sessions in."""
    global _authenticator
    _authenticator = authenticate


def _authenticate(*args) -> Principal:
    if _authenticator is None:
        raise RuntimeError("no authenticator: app.py calls endpoint.use_authenticator first")
    return _authenticator(*args)


def _run(spec: EndpointSpec, view: Callable, raw, path_params: dict) -> Response:
    client = client_of(raw)
    if spec.source_limit is not None:  # before any work: a flood costs one counter update each
        limit_source(spec.source_limit, client.ip)
    # Who is calling comes first: an anonymous caller learns nothing about a protected
    # endpoint's input rules.
    principal = (_authenticate(_bearer(raw.headers), spec.roles, client,
                               spec.during_mfa_enrollment)
                 if spec.roles is not None else None)
    if principal is not None:
        i18n.switch(principal.language)
    as_text = spec.text_body is not None and _media_type(raw.headers) == spec.text_body
    request = ApiRequest(
        body={} if as_text else _parse_body(raw, spec.body, spec.max_body_bytes),
        query=_parse_query(raw.query_params or {}, spec.query),
        headers=raw.headers,
        client=client,
        principal=principal,
        text=_text_body(raw, spec.max_body_bytes) if as_text else None,
    )
    result = view(request, **path_params)
    if isinstance(result, StoredResponse):
        result = Reply(result.status, result.body(), result.headers())
    reply = result if isinstance(result, Reply) else Reply(spec.status, result)
    return json_response(reply)


def json_response(reply: Reply) -> Response:
    if reply.body is None:
        return Response(body="", status_code=reply.status, headers=dict(reply.headers or {}))
    headers = {"Content-Type": reply.content_type, **(reply.headers or {})}
    body = json.dumps(reply.body, ensure_ascii=False) if reply.content_type == "application/json" \
        else reply.body
    return Response(body=body, status_code=reply.status, headers=headers)


def client_of(raw) -> Client:
    return Client(ip=source_address(raw),
                  user_agent=(raw.headers.get("user-agent") or "")[:512],
                  kiosk_key=raw.headers.get("x-kiosk-key") or None)


def source_address(raw) -> str:
    """The address per-source limits count.  Through our CloudFront distribution API Gateway
    sees an edge server, shared by many families, so a request proven to come from it (its
    secret header) counts as its viewer's ``CloudFront-Viewer-Address``; any other request as
    API Gateway's ``sourceIp``.  ``X-Forwarded-For`` is never believed: a client writes it."""
    viewer = raw.headers.get("cloudfront-viewer-address") or ""
    if viewer and secrets.from_our_edge(raw.headers.get(EDGE_HEADER.lower())):
        address = viewer.rsplit(":", 1)[0].strip("[]")  # "<address>:<port>"
        try:
            return str(ipaddress.ip_address(address))
        except ValueError:
            pass
    identity = (raw.context or {}).get("identity") or {}
    return identity.get("sourceIp") or "unknown"


def _bearer(headers) -> str | None:
    value = headers.get("authorization") or ""
    scheme, _space, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _parse_body(raw, body_schema: dict | None, max_bytes: int = MAX_BODY_BYTES) -> dict:
    data = raw.raw_body or b""
    if body_schema is None:
        return {}
    if len(data) > max_bytes:
        raise InvalidRequest(_("The request body is larger than %(limit)s bytes.",
                               limit=max_bytes), code="request_too_large")
    try:
        parsed = json.loads(data.decode("utf-8")) if data.strip() else None
    except UnicodeDecodeError:
        raise InvalidRequest(_("The request body is not UTF-8.")) from None
    except (ValueError, RecursionError):
        raise InvalidRequest(_("The request body is not valid JSON.")) from None
    if parsed is None:
        parsed = {} if not body_schema.get("required") else None
    found = schemas.problems(body_schema, parsed)
    if found:
        raise InvalidRequest(listing(found), errors=found)
    # An optional field sent as null means "not given": views never see the null.
    return {key: value for key, value in parsed.items() if value is not None}


def _media_type(headers) -> str:
    return (headers.get("content-type") or "").split(";")[0].strip().lower()


def _text_body(raw, max_bytes: int) -> str:
    data = raw.raw_body or b""
    if len(data) > max_bytes:
        raise InvalidRequest(_("The request body is larger than %(n)s bytes.", n=max_bytes),
                             code="request_too_large")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest(_("The request body is not UTF-8.")) from None


def _parse_query(params: dict, query_schema: dict | None) -> dict:
    """Query values arrive as strings; integers declared in the schema are converted first."""
    query_schema = query_schema or schemas.obj()
    properties = query_schema.get("properties", {})
    converted: dict[str, Any] = {}
    for key, value in params.items():
        if properties.get(key, {}).get("type") == "integer":
            try:
                converted[key] = int(value)
            except ValueError:
                converted[key] = value  # the schema check reports it
        else:
            converted[key] = value
    found = schemas.problems(query_schema, converted, "query")
    if found:
        raise InvalidRequest(listing(found), errors=found)
    return converted


PAGINATION = {"limit": schemas.integer(1, 100), "cursor": schemas.string(1, 2048)}
# Staff act in their own facility; admins may call a staff endpoint naming one
# (docs/api.md "Signing in, tokens and roles").
STAFF_OR_ADMIN = ("staff", "admin")
FACILITY_QUERY = {"facility_id": schemas.string(1, 64)}
KIOSK_KEY = Header("X-Kiosk-Key", True, description="The key of the registered kiosk making "
                   "the request (issued by the facility's staff; inmate sign-in and sessions).")
