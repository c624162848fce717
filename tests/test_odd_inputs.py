"""No input, however odd, yields a 5xx or Chalice's own error body; every error is a problem.

Each odd body is sent to every endpoint of the foundation (issue 2); none may change anything,
which is checked by counting the emails sent and the items in every table.
"""
from __future__ import annotations

import json

import pytest

from chalicelib.core.store import MODELS
from tests.conftest import sent_emails

ENDPOINTS = [
    ("POST", "/v1/auth/signup"),
    ("POST", "/v1/auth/verify-email"),
    ("POST", "/v1/auth/login"),
    ("POST", "/v1/auth/refresh"),
    ("POST", "/v1/auth/logout"),
    ("GET", "/v1/account"),
    ("POST", "/v1/admin/accounts/acc_x/unlock"),
    ("POST", "/v1/admin/accounts/acc_x/disable"),
]

DEEP = "[" * 100_000 + "]" * 100_000
HUGE = "x" * 200_000

ODD_BODIES = {
    "invalid json": (b"{not json", "application/json"),
    "truncated json": (b'{"email": "a@b.co", "password": ', "application/json"),
    "non utf-8": (b'{"email": "\xff\xfe\xfa"}', "application/json"),
    "array": (b'[{"email": "a@b.co"}]', "application/json"),
    "string": (b'"hello"', "application/json"),
    "number": (b"42", "application/json"),
    "null": (b"null", "application/json"),
    "wrong types": (json.dumps({"email": 5, "password": ["x"], "full_name": {"a": 1},
                                "code": True, "refresh_token": 1.5}).encode(), "application/json"),
    "huge strings": (json.dumps({"email": HUGE + "@example.com", "password": HUGE,
                                 "full_name": HUGE, "code": HUGE,
                                 "refresh_token": HUGE}).encode(), "application/json"),
    "deep nesting": (DEEP.encode(), "application/json"),
    "nested in field": (json.dumps({"email": "a@b.co", "password": [[[[[[["x"]]]]]]]}).encode(),
                        "application/json"),
    "unknown fields": (json.dumps({"email": "a@b.co", "password": "long enough pass 1",
                                   "full_name": "A", "is_admin": True, "role": "admin"}).encode(),
                       "application/json"),
    "form encoded": (b"email=a%40b.co&password=x", "application/x-www-form-urlencoded"),
    "multipart": (b"--x\r\nContent-Disposition: form-data; name=email\r\n\r\na\r\n--x--",
                  "multipart/form-data; boundary=x"),
    "xml": (b"<email>a@b.co</email>", "application/xml"),
    "nul bytes": (b'{"email": "a\\u0000@b.co", "password": "\\u0000\\u0000"}',
                  "application/json"),
    "empty": (b"", "application/json"),
    "lone surrogate": (b'{"email": "\\ud800@b.co", "password": "\\udfff pass word 12"}',
                       "application/json"),
}


def _state():
    # Per-source-address counters (F11) count every request, odd or not: that is their job.
    counts = {model.__name__: sum(1 for _ in model.scan()) for model in MODELS
              if model.__name__ != "RateCounter"}
    return counts, len(sent_emails())


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_odd_bodies_get_4xx_problems_and_change_nothing(api, method, path):
    before = _state()
    for name, (raw, content_type) in ODD_BODIES.items():
        response = api.call(method, path, raw=raw, headers={"Content-Type": content_type})
        assert 400 <= response.status_code < 500, (name, response.status_code, response.body[:200])
        assert response.headers["Content-Type"] == "application/problem+json", name
        problem = response.json
        assert {"type", "title", "status", "detail", "code"} <= set(problem), name
        assert problem["status"] == response.status_code
        assert "Code" not in problem and "Message" not in problem
    assert _state() == before


def test_validation_problems_name_the_fields(api):
    response = api.post("/v1/auth/signup", {"email": 5, "password": "x" * 20, "extra": 1})
    assert response.status_code == 400
    assert response.json["code"] == "invalid_request"
    fields = {item["field"] for item in response.json["errors"]}
    assert fields == {"email", "full_name", "extra"}


def test_unknown_method_is_a_problem(api):
    response = api.call("DELETE", "/v1/auth/login")
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json["code"] == "method_not_allowed"


def test_wrong_content_type_is_a_problem(api):
    response = api.call("POST", "/v1/auth/login", raw=b"email=x",
                        headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.json["code"] == "unsupported_media_type"


def test_query_strings_are_validated(api, make_family):
    _, _, tokens = make_family()
    response = api.get("/v1/account?surprise=1", token=tokens["access_token"])
    assert response.status_code == 400
    assert response.json["errors"][0]["field"] == "query.surprise"


def test_cors_headers_follow_the_stage_origin(api):
    allowed = api.get("/v1/health", headers={"Origin": "https://app.kinlink.test"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.kinlink.test"
    other = api.get("/v1/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = api.call("OPTIONS", "/v1/auth/login", headers={
        "Origin": "https://app.kinlink.test", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
