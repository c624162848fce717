"""The OpenAPI 3.1 document, generated from the ``@endpoint`` declarations the code runs on.

Request schemas are the very dicts the request validator enforces, so the document and the
validation cannot drift apart.  Every operation lists its success response and a ``default``
RFC 9457 problem response; ``x-problem-codes`` names the codes the operation is known to return.
Schemas declared with ``schema.named`` are published once in ``components``.  Guide: docs/api.md
"""
from __future__ import annotations

import copy
import re

from chalicelib.config import get_settings
from chalicelib.web.endpoint import ENDPOINTS, EndpointSpec
from chalicelib.web.problems import PROBLEM_TYPE_BASE

PROBLEM = {
    "type": "object",
    "description": "An RFC 9457 problem: `code` is stable and meant for programs, `detail` for "
                   "people (in the request's language).",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "retry_after_seconds": {"type": "integer"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "problem": {"type": "string"}}}},
    },
    "examples": [{"type": PROBLEM_TYPE_BASE + "invalid_request",
                  "title": "Invalid request", "status": 400, "code": "invalid_request",
                  "detail": "amount_cents must be at least 1.",
                  "errors": [{"field": "amount_cents", "problem": "must be at least 1"}]}],
}

_PATH_PARAMETER = r"{([^}]+)}"
_PRIVATE_KEYWORDS = ("x-pattern-problem",)
_NAME = "x-schema-name"
# Length limits in the shared schema helpers guard requests; what the API sends back (a QR code
# data URI, a long message thread) is not held to them.
_REQUEST_ONLY_KEYWORDS = ("additionalProperties", "minLength", "maxLength")


def document(base_path: str | None = None) -> dict:
    """The document; ``base_path`` is the prefix the request came through (``/api`` on API
    Gateway's own address, empty behind a custom domain or locally), listed first in ``servers``."""
    paths: dict[str, dict] = {}
    for spec in ENDPOINTS:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec)
    schemas = {"Problem": PROBLEM}
    paths = _hoisted(dict(sorted(paths.items())), schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kinlink API",
            "version": "1.0.0",
            "description": "Accounts, sign-in, messaging and deposits for families of "
                           "incarcerated people. Errors are RFC 9457 problem details. "
                           "The guide (conventions, roles, errors, examples) is docs/api.md "
                           "in the repository; this reference is served at `GET /docs`.",
        },
        "servers": servers(base_path),
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "Opaque access token from sign-in"}},
        },
    }


def servers(base_path: str | None) -> list[dict]:
    public = {"url": get_settings().public_base_url.rstrip("/") or "/",
              "description": "This stage's public address (PUBLIC_BASE_URL)"}
    if base_path is None:
        return [public]
    reached = {"url": base_path or "/",
               "description": "Where this document was fetched from (the stage prefix)"}
    return [reached] if reached["url"] == public["url"] else [reached, public]


def base_path_of(context: dict) -> str:
    """The stage prefix in front of the route: API Gateway's ``path`` is the address as
    requested (``/api/v1/openapi.json``), ``resourcePath`` the route (``/v1/openapi.json``)."""
    path, route = context.get("path") or "", context.get("resourcePath") or ""
    return path[:-len(route)].rstrip("/") if route and path.endswith(route) else ""


def _hoisted(node, schemas: dict):
    """Every schema carrying a name, moved to ``schemas`` and replaced by a ``$ref``."""
    if isinstance(node, list):
        return [_hoisted(item, schemas) for item in node]
    if not isinstance(node, dict):
        return node
    name = node.get(_NAME)
    node = {key: _hoisted(value, schemas) for key, value in node.items() if key != _NAME}
    if name is None:
        return node
    if schemas.setdefault(name, node) != node:
        raise ValueError(f"two different schemas are named {name!r}")
    return {"$ref": f"#/components/schemas/{name}"}


def _operation(spec: EndpointSpec) -> dict:
    operation: dict = {
        "operationId": f"{spec.method.lower()}_{_slug(spec.path)}",
        "summary": spec.summary,
        "description": spec.description,
        "tags": [spec.tag] if spec.tag else [],
        "parameters": _parameters(spec),
        "responses": {
            str(spec.status): _success(spec),
            "default": {"description": "Problem",
                        "content": {"application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}}}},
        },
    }
    for status in spec.also_status:
        operation["responses"][str(status)] = _success(spec)
    if spec.problems:
        operation["x-problem-codes"] = list(spec.problems)
    if spec.source_limit is not None:
        operation["responses"]["429"] = {
            "description": "Too many requests from this source address (per-source limit "
                           f"`{spec.source_limit}`), or another limit: wait Retry-After seconds.",
            "headers": {"Retry-After": {"description": "Seconds to wait before retrying",
                                        "schema": {"type": "integer", "minimum": 1}}},
            "content": {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    if spec.roles is not None:
        operation["security"] = [{"bearer": []}]
        operation["x-roles"] = list(spec.roles)
        if spec.during_mfa_enrollment:
            operation["x-during-mfa-enrollment"] = True
    if spec.body is not None:
        operation["requestBody"] = {
            "required": bool(spec.body.get("required")),
            "content": {"application/json": {"schema": _public(spec.body)}},
        }
        if spec.text_body:
            operation["requestBody"]["content"][spec.text_body] = {"schema": {"type": "string"}}
        if spec.example is not None and spec.example.request is not None:
            operation["requestBody"]["content"]["application/json"]["example"] = \
                spec.example.request
    return operation



def _parameters(spec: EndpointSpec) -> list[dict]:
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "string", "minLength": 1}}
                  for name in re.findall(_PATH_PARAMETER, spec.path)]
    query = spec.query or {}
    for name, schema in query.get("properties", {}).items():
        parameters.append({"name": name, "in": "query",
                           "required": name in query.get("required", []),
                           "schema": _public(schema)})
    for header in spec.headers:
        parameters.append({"name": header.name, "in": "header", "required": header.required,
                           "description": header.description, "schema": _public(header.schema)})
    examples = spec.example.params if spec.example is not None else {}
    for parameter in parameters:
        if parameter["name"] in examples:
            parameter["example"] = examples[parameter["name"]]
    return parameters


def _success(spec: EndpointSpec) -> dict:
    if spec.status == 204:
        return {"description": "No content"}
    schema = _public(spec.response, response=True) if spec.response else {}
    media = (spec.response or {}).get("x-media-type", "application/json")
    content = {"schema": schema}
    if spec.example is not None and spec.example.response is not None:
        content["example"] = spec.example.response
    return {"description": "Success", "content": {media: content}}


def _public(schema: dict, response: bool = False) -> dict:
    """The schema as published: private hints removed; responses may grow new fields and are
    not held to request length limits."""
    result = copy.deepcopy(schema)

    def clean(node):
        if isinstance(node, dict):
            for keyword in _PRIVATE_KEYWORDS:
                node.pop(keyword, None)
            if response:
                for keyword in _REQUEST_ONLY_KEYWORDS:
                    node.pop(keyword, None)
            for value in node.values():
                clean(value)
        elif isinstance(node, list):
            for value in node:
                clean(value)

    clean(result)
    result.pop("x-media-type", None)
    return result


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_")
