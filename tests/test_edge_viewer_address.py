"""Per-source limits behind the web app's CloudFront distribution (issue 18): API Gateway sees
an edge server shared by many families, so a request proven to come through our distribution
(its secret ``X-Kinlink-Edge`` header) counts as its ``CloudFront-Viewer-Address``; nothing else
moves the count, neither that header without the proof nor ``X-Forwarded-For``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from chalicelib.config import reset_settings
from tests.test_security_review_outbox import from_address, limit_of  # noqa: F401 (fixtures)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import cfn_resources  # noqa: E402
from cfn_webapp import API_ORIGIN  # noqa: E402

EDGE_SECRET = "edge-origin-secret-for-tests-0123456789abcdef"
FORGOT = "/v1/auth/password/forgot"


@pytest.fixture
def edge(monkeypatch, from_address, limit_of):  # noqa: F811 (fixtures)
    monkeypatch.setenv("EDGE_ORIGIN_SECRET", EDGE_SECRET)
    reset_settings()
    limit_of("forgot", 2)
    from_address("130.176.1.20")  # a CloudFront edge server

    def forgot(api, **headers):
        return api.post(FORGOT, {"email": "x@example.com"}, headers=headers).status_code
    return forgot


def viewer(address: str, proof: str = EDGE_SECRET) -> dict:
    return {"X-Kinlink-Edge": proof, "CloudFront-Viewer-Address": address}


def test_each_viewer_behind_the_edge_has_its_own_count(api, edge):
    assert [edge(api, **viewer("198.51.100.7:51234")) for _ in range(3)] == [202, 202, 429]
    assert edge(api, **viewer("203.0.113.9:443")) == 202, "another family, same edge server"
    assert edge(api, **viewer("2001:db8::7:50000")) == 202, "an IPv6 viewer"
    assert edge(api, **viewer("198.51.100.7:60001")) == 429, "a new port is the same viewer"


def test_without_the_edge_proof_the_viewer_header_moves_nothing(api, edge):
    assert [edge(api, **viewer(f"198.51.100.{n}:443", proof="guess")) for n in range(3)] \
        == [202, 202, 429]
    assert edge(api, **{"CloudFront-Viewer-Address": "192.0.2.50:443"}) == 429
    assert edge(api, **{"X-Kinlink-Edge": EDGE_SECRET, "X-Forwarded-For": "192.0.2.51"}) == 429


def test_a_malformed_viewer_address_counts_as_the_edge_server(api, edge):
    assert [edge(api, **viewer(f"not-an-address-{n}")) for n in range(3)] == [202, 202, 429]
    assert edge(api, **viewer("198.51.100.7:443")) == 202


def test_with_no_edge_secret_configured_no_proof_is_accepted(api, edge, monkeypatch):
    monkeypatch.setenv("EDGE_ORIGIN_SECRET", "")
    reset_settings()
    assert [edge(api, **viewer(f"198.51.100.{n}:443")) for n in range(3)] == [202, 202, 429]


def test_the_distribution_proves_itself_with_a_generated_secret_the_api_may_read():
    template = cfn_resources.build_template()
    resources = template["Resources"]
    secret = resources["EdgeOriginSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    config = resources["AppDistribution"]["Properties"]["DistributionConfig"]
    [origin] = [o for o in config["Origins"] if o["Id"] == API_ORIGIN]
    [header] = origin["OriginCustomHeaders"]
    assert header["HeaderName"] == "X-Kinlink-Edge"
    assert header["HeaderValue"] == {"Fn::Sub": "{{resolve:secretsmanager:${EdgeOriginSecret}}}"}
    assert cfn_resources.FUNCTION_ENVIRONMENT["EDGE_ORIGIN_SECRET_ARN"] == {"Ref": "EdgeOriginSecret"}
    policy = json.loads((cfn_resources.ROOT / ".chalice" / "policy-prod.json").read_text())
    readable = [resource for statement in policy["Statement"]
                if statement["Action"] == "secretsmanager:GetSecretValue"
                for resource in statement["Resource"]]
    assert any(f"secret:{cfn_resources.EDGE_SECRET_NAME}-" in r for r in readable)
