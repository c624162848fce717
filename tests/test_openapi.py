"""The OpenAPI document is valid 3.1, served by the API, and in step with the routes."""
from __future__ import annotations

from app import app
from chalicelib.web.openapi import document


def _routes() -> set[tuple[str, str]]:
    return {(method, path) for path, methods in app.routes.items() for method in methods
            if method != "OPTIONS"}


def test_every_route_is_described_and_every_description_is_a_route():
    described = {(method.upper(), path) for path, operations in document()["paths"].items()
                 for method in operations}
    assert described == _routes()


def test_document_is_valid_openapi_3_1():
    from openapi_spec_validator import validate

    validate(document())


def test_document_is_served(api):
    response = api.get("/v1/openapi.json")
    assert response.status_code == 200
    assert response.json["openapi"] == "3.1.0"
    assert "/v1/auth/login" in response.json["paths"]


def test_request_schemas_refuse_unknown_fields():
    for path, operations in document()["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if body:
                schema = body["content"]["application/json"]["schema"]
                assert schema.get("additionalProperties") is False, (method, path)
