"""Logs are JSON lines carrying the request id, and never hold a password, code or token."""
from __future__ import annotations

import json

from tests.conftest import STRONG_PASSWORD, last_code


def test_a_full_flow_logs_json_lines_without_secrets(api, capsys):
    email = "logs@example.com"
    api.post("/v1/auth/signup", {"email": email, "password": STRONG_PASSWORD, "full_name": "Lo Gs"})
    code = last_code(email)
    api.post("/v1/auth/verify-email", {"email": email, "code": code})
    api.post("/v1/auth/login", {"email": email, "password": "wrong password entirely"})
    tokens = api.post("/v1/auth/login", {"email": email, "password": STRONG_PASSWORD}).json
    refreshed = api.post("/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}).json
    response = api.get("/v1/account", token=refreshed["access_token"])
    api.post("/v1/auth/logout", token=refreshed["access_token"])

    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    requests = [r for r in records if r["event"] == "request"]
    assert len(requests) == 7
    assert all(r["request_id"] for r in requests)
    assert response.headers["X-Request-Id"] in {r["request_id"] for r in requests}
    secrets = [STRONG_PASSWORD, "wrong password entirely", code, tokens["access_token"],
               tokens["refresh_token"], refreshed["access_token"], refreshed["refresh_token"]]
    secrets += [token.split(".")[1] for token in secrets[3:]]
    output = "\n".join(lines)
    for secret in secrets:
        assert secret not in output
