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
                schema = _resolved(body["content"]["application/json"]["schema"])
                assert schema.get("additionalProperties") is False, (method, path)


def _resolved(schema: dict) -> dict:
    """A named schema (``$ref`` into components) as the document defines it."""
    if "$ref" in schema:
        return document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _operations():
    for path, operations in document()["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def test_every_success_response_has_a_schema_and_every_operation_a_problem_response():
    for method, path, operation in _operations():
        responses = operation["responses"]
        assert responses["default"]["content"]["application/problem+json"], (method, path)
        status, success = next((code, item) for code, item in responses.items()
                               if code != "default")
        if status == "204":
            assert "content" not in success, (method, path)
        else:
            media = next(iter(success["content"].values()))
            schema = _resolved(media["schema"])
            assert schema.get("type") or schema.get("oneOf"), (method, path)


def test_reset_page_is_described_as_html():
    success = document()["paths"]["/reset-password"]["get"]["responses"]["200"]
    assert list(success["content"]) == ["text/html"]


def test_sign_in_answers_tokens_or_a_second_factor_challenge():
    schema = (document()["paths"]["/v1/auth/login"]["post"]["responses"]["200"]["content"]
              ["application/json"]["schema"])
    required = [set(_resolved(choice)["required"]) for choice in schema["oneOf"]]
    assert {"access_token", "refresh_token"} <= required[0]
    assert {"mfa_required", "challenge_id", "methods"} <= required[1]


def test_money_moving_posts_require_an_idempotency_key_header():
    for path in ("/v1/deposits", "/v1/stamps/purchase"):
        headers = [parameter for parameter in document()["paths"][path]["post"]["parameters"]
                   if parameter["in"] == "header"]
        assert [(h["name"], h["required"]) for h in headers] == [("Idempotency-Key", True)]
