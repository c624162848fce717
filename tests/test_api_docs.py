"""The published reference (issue 12 item 6): every operation described with an example that
matches its schemas, named schemas in ``components``, ``servers`` behind the stage prefix, and
``GET /docs`` served from the API's own files with a CSP that allows nothing else."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from chalicelib.web import openapi, schema
from chalicelib.web.endpoint import ENDPOINTS
from chalicelib.web.openapi import document

ROOT = Path(__file__).resolve().parents[1]
EXTERNAL_URL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+""", re.IGNORECASE)


def _key(spec) -> str:
    return f"{spec.method} {spec.path}"


def test_every_operation_has_a_description_and_an_example():
    """An endpoint added without them fails here until someone writes them."""
    missing = [_key(spec) for spec in ENDPOINTS
               if len(spec.description.strip()) < 20 or spec.example is None]
    assert missing == []


def test_every_example_is_where_the_operation_needs_one():
    """A body has a request example, a success body a response example, and every path
    parameter an example value."""
    wrong = []
    for path, operations in document()["paths"].items():
        for method, operation in operations.items():
            key = f"{method.upper()} {path}"
            body = operation.get("requestBody")
            if body and "example" not in body["content"]["application/json"]:
                wrong.append((key, "request"))
            for status, response in operation["responses"].items():
                if status[0] == "2":
                    for media in response.get("content", {}).values():
                        if "example" not in media:
                            wrong.append((key, "response"))
            for parameter in operation["parameters"]:
                if parameter["in"] == "path" and "example" not in parameter:
                    wrong.append((key, parameter["name"]))
    assert wrong == []


def test_examples_pass_the_schemas_they_illustrate():
    """Requests pass the very validator the API runs; responses their published schema;
    parameter values name declared parameters and pass their schemas."""
    wrong = []
    for spec in ENDPOINTS:
        example = spec.example
        if example is None:
            continue
        if example.request is not None:
            found = schema.problems(spec.body, example.request)
            if found:
                wrong.append((_key(spec), "request", found))
        if example.response is not None:
            published = openapi._public(spec.response, response=True)
            errors = [error.message for error in
                      Draft202012Validator(published).iter_errors(example.response)]
            if errors:
                wrong.append((_key(spec), "response", errors[:3]))
        declared = {parameter["name"]: parameter["schema"]
                    for parameter in openapi._parameters(spec)}
        for name, value in example.params.items():
            if name not in declared:
                wrong.append((_key(spec), "unknown parameter", name))
            elif Draft202012Validator(declared[name]).is_valid(value) is False:
                wrong.append((_key(spec), name, value))
    assert wrong == []


def test_reusable_schemas_are_named_components_and_referred_to():
    doc = document()
    components = doc["components"]["schemas"]
    assert {"Problem", "Tokens", "Deposit", "Message", "Contact", "Profile", "Facility",
            "Kiosk", "Flag", "Session"} <= set(components)
    text = repr(doc["paths"]) + repr(components)  # used by an operation or another schema
    for name in components:
        if name != "Problem":
            assert f"#/components/schemas/{name}" in text, name
    deposit = doc["paths"]["/v1/deposits/{deposit_id}"]["get"]["responses"]["200"]
    assert deposit["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Deposit"}
    assert components["Problem"]["examples"][0]["code"] == "invalid_request"


def test_two_different_schemas_under_one_name_are_refused():
    with pytest.raises(ValueError, match="Twin"):
        openapi._hoisted([schema.named("Twin", schema.obj({"a": schema.string()})),
                          schema.named("Twin", schema.obj({"b": schema.string()}))], {})


def test_servers_start_with_the_stage_prefix_the_request_came_through():
    gateway = {"path": "/api/v1/openapi.json", "resourcePath": "/v1/openapi.json"}
    custom_domain = {"path": "/v1/openapi.json", "resourcePath": "/v1/openapi.json"}
    assert openapi.base_path_of(gateway) == "/api"
    assert openapi.base_path_of(custom_domain) == ""
    assert openapi.base_path_of({}) == ""
    servers = document("/api")["servers"]
    assert servers[0]["url"] == "/api"
    assert servers[1]["url"] == "https://app.kinlink.test"  # the test stage's PUBLIC_BASE_URL
    assert [server["url"] for server in document()["servers"]] == ["https://app.kinlink.test"]


def test_document_served_through_the_api_lists_where_it_was_reached(api):
    response = api.get("/v1/openapi.json")
    assert response.status_code == 200
    assert response.json["servers"][0]["url"] == "/"
    assert "Deposit" in response.json["components"]["schemas"]


def _fetch(api, path: str):
    return api.client.http.get(path, headers={"User-Agent": "pytest-client/1.0"})


def test_docs_page_loads_only_its_own_files(api):
    response = _fetch(api, "/docs")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = response.body.decode()
    assert EXTERNAL_URL.findall(page) == []
    assert 'data-spec="/v1/openapi.json"' in page
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'<script nonce="{nonce}">' in page
    assert policy.startswith("default-src 'none'; script-src 'self' 'nonce-")
    for directive in ("connect-src 'self'", "img-src data:;", "frame-ancestors 'none'"):
        assert directive in policy
    assert "http" not in policy and "*" not in policy
    assert _fetch(api, "/docs").headers["Content-Security-Policy"] != policy  # a new nonce
    for asset, content_type in (("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
                                ("swagger-ui.css", "text/css; charset=utf-8")):
        assert f'"/docs/{asset}"' in page
        served = _fetch(api, f"/docs/{asset}")
        assert served.status_code == 200
        assert served.headers["Content-Type"] == content_type
        assert served.headers["Cache-Control"] == "public, max-age=3600"
        assert len(served.body) > 100_000
    assert b"SwaggerUIBundle" in _fetch(api, "/docs/swagger-ui-bundle.js").body


def test_docs_page_behind_a_stage_prefix_links_behind_it():
    from chalicelib.web import docs

    page = docs.page("/api").body
    assert 'href="/api/docs/swagger-ui.css"' in page
    assert 'src="/api/docs/swagger-ui-bundle.js"' in page
    assert 'data-spec="/api/v1/openapi.json"' in page


def test_importing_the_app_reads_no_swagger_file():
    import subprocess
    import sys

    code = ("import sys, app; print(sorted(m for m in sys.modules if 'swagger' in m))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name, kept", [
    ("swagger_ui_bundle/vendor/swagger-ui-5.31.0/swagger-ui-bundle.js", True),
    ("swagger_ui_bundle/vendor/swagger-ui-5.31.0/swagger-ui.css", True),
    ("swagger_ui_bundle/vendor/swagger-ui-5.31.0/swagger-ui-bundle.js.map", False),
    ("swagger_ui_bundle/vendor/swagger-ui-5.31.0/swagger-ui-es-bundle.js", False),
    ("swagger_ui_bundle/vendor/swagger-ui-5.31.0/index.j2", False),
    ("swagger_ui_bundle/__init__.py", True),
    ("swagger_ui_bundle_v2-5.31.0.dist-info/licenses/LICENSE", True),
])
def test_the_package_ships_only_the_swagger_files_the_page_serves(name, kept):
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from slim_package import SWAGGER_UI_FILES, needed

    from chalicelib.web.docs import ASSETS

    assert SWAGGER_UI_FILES == set(ASSETS)
    assert needed(name) is kept


def test_a_named_request_schema_keeps_its_request_rules_in_components():
    """A request body may be named too (a rules document): its component keeps the limits and
    ``additionalProperties: false`` the validator enforces."""
    body = schema.named("RulesExample", schema.obj({"fee_cents": schema.integer(0, 500)}))
    components: dict = {}
    assert openapi._hoisted(openapi._public(body), components) == {
        "$ref": "#/components/schemas/RulesExample"}
    assert components["RulesExample"]["additionalProperties"] is False
    assert components["RulesExample"]["properties"]["fee_cents"]["maximum"] == 500
