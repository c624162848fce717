"""The OpenAPI 3.1 document, generated from the ``@endpoint`` declarations the code runs on.

Request schemas are the very dicts the request validator enforces, so the document and the
validation cannot drift apart.  Every operation lists its success response and a ``default``
RFC 9457 problem response; ``x-problem-codes`` names the codes the operation is known to return.
"""
from __future__ import annotations

import copy
import re

from chalicelib.web.endpoint import ENDPOINTS, EndpointSpec

PROBLEM = {
    "type": "object",
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
}

_PATH_PARAMETER = re.compile(r"{([^}]+)}")
_PRIVATE_KEYWORDS = ("x-pattern-problem",)
# Length limits in the shared schema helpers guard requests; what the API sends back (a QR code
# data URI, a long message thread) is not held to them.
_REQUEST_ONLY_KEYWORDS = ("additionalProperties", "minLength", "maxLength")


def document(server_url: str = "/") -> dict:
    paths: dict[str, dict] = {}
    for spec in ENDPOINTS:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec)
    named: dict[str, dict] = {}
    paths = _hoist_named(paths, named)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kinlink API",
            "version": "1.0.0",
            "description": "Accounts, sign-in, messaging and deposits for families of "
                           "incarcerated people. Errors are RFC 9457 problem details.",
        },
        "servers": [{"url": server_url}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Problem": PROBLEM, **dict(sorted(named.items()))},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "Opaque access token from sign-in"}},
        },
    }


def _operation(spec: EndpointSpec) -> dict:
    operation: dict = {
        "operationId": f"{spec.method.lower()}_{_slug(spec.path)}",
        "summary": spec.summary,
        "tags": [spec.tag] if spec.tag else [],
        "parameters": _parameters(spec),
        "responses": {
            str(spec.status): _success(spec),
            "default": {"description": "Problem",
                        "content": {"application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}}}},
        },
    }
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
    return operation


def _hoist_named(node, named: dict[str, dict]):
    """Schemas marked ``x-name`` become ``components.schemas`` entries, referenced by ``$ref``."""
    if isinstance(node, list):
        return [_hoist_named(item, named) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _hoist_named(value, named) for key, value in node.items()}
    name = node.pop("x-name", None)
    if name is None:
        return node
    if name not in named or "additionalProperties" in node:  # the request's form is fuller
        named[name] = node
    return {"$ref": f"#/components/schemas/{name}"}


def _parameters(spec: EndpointSpec) -> list[dict]:
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "string", "minLength": 1}}
                  for name in _PATH_PARAMETER.findall(spec.path)]
    query = spec.query or {}
    for name, schema in query.get("properties", {}).items():
        parameters.append({"name": name, "in": "query",
                           "required": name in query.get("required", []),
                           "schema": _public(schema)})
    for header in spec.headers:
        parameters.append({"name": header.name, "in": "header", "required": header.required,
                           "description": header.description, "schema": _public(header.schema)})
    return parameters


def _success(spec: EndpointSpec) -> dict:
    if spec.status == 204:
        return {"description": "No content"}
    schema = _public(spec.response, response=True) if spec.response else {}
    media = "text/html" if spec.response and spec.response.get("x-media-type") == "text/html" \
        else "application/json"
    return {"description": "Success", "content": {media: {"schema": schema}}}


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
