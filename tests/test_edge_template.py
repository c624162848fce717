"""The API's edge in the packaged prod template (issue 13, findings 2 and 3): per-route throttles
sized by bench/edge_model.py, WAF on the stage, the bcrypt routes on their own function with
reserved concurrency, and alarms on throttling and transaction conflicts.  cfn-lint runs on this
template and on its SAM transform in tests/test_package.py."""
from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import pytest
from pynamodb.connection.base import VerboseClientError
from pynamodb.exceptions import CancellationReason, TransactWriteError

from app import app
from bench import edge_model
from bench.scale_model import PER_DAY, SIGN_IN_MEMORY_MB
from chalicelib.core import store
from tests.test_package import resources_of_type

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from cfn_edge import BCRYPT_ROUTES, SIGN_IN_FUNCTION_NAME, from_our_edge, sign_in_scope  # noqa: E402

INTEGRATION = "x-amazon-apigateway-integration"


def _bcrypt_callers() -> set[str]:
    """Names of the functions in chalicelib that reach bcrypt, by a call graph of names (an
    over-approximation: a same-named function counts too)."""
    calls: dict[str, set[str]] = {}
    for path in (ROOT / "chalicelib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                called = calls.setdefault(node.name, set())
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Call):
                        function = sub.func
                        called.add(function.attr if isinstance(function, ast.Attribute)
                                   else getattr(function, "id", ""))
    reaching, grown = {"hashpw", "checkpw"}, True
    while grown:
        found = {name for name, called in calls.items() if called & reaching} - reaching
        reaching |= found
        grown = bool(found)
    return reaching


def test_the_bcrypt_routes_are_every_route_whose_handler_reaches_bcrypt():
    callers = _bcrypt_callers()
    reaching = {(method, path) for path, methods in app.routes.items()
                for method, entry in methods.items() if entry.view_function.__name__ in callers}
    assert reaching == set(BCRYPT_ROUTES)
    assert ("POST", "/v1/auth/login") in reaching and ("POST", "/v1/inmate/login") in reaching


def test_the_bcrypt_routes_run_on_their_own_function_with_a_vcpu_and_reserved_concurrency(
        template):
    resources = template["Resources"]
    api, sign_in = resources["APIHandler"]["Properties"], resources["SignInHandler"]["Properties"]
    own = {"FunctionName", "MemorySize", "Role", "ReservedConcurrentExecutions"}
    # the same code package, handler, runtime, timeout and environment as the API function
    assert {k: v for k, v in sign_in.items() if k not in own} == \
        {k: v for k, v in api.items() if k not in own}
    assert sign_in["FunctionName"] == SIGN_IN_FUNCTION_NAME
    assert sign_in["MemorySize"] == SIGN_IN_MEMORY_MB == 1769 > api["MemorySize"]
    reserved = sign_in["ReservedConcurrentExecutions"]
    assert reserved == edge_model.reserved_concurrency(BCRYPT_ROUTES)
    assert "ReservedConcurrentExecutions" not in api  # the rest keep the unreserved pool
    assert 0 < reserved <= edge_model.ACCOUNT_CONCURRENCY - 100  # Lambda keeps 100 unreserved
    paths = resources["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    for path, methods in app.routes.items():
        for method in methods:
            uri = paths[path][method.lower()][INTEGRATION]["uri"]["Fn::Sub"]
            expected = "SignInHandler" if (method, path) in BCRYPT_ROUTES else "APIHandler"
            assert f"${{{expected}.Arn}}" in uri, (method, path)
    # API Gateway may invoke it for exactly these routes
    permissions = [r["Properties"] for r in resources_of_type(
        template, "AWS::Lambda::Permission").values()
        if r["Properties"]["FunctionName"] == {"Ref": "SignInHandler"}]
    arns = {p["SourceArn"]["Fn::Sub"][0].split("}/*/", 1)[1] for p in permissions}
    assert arns == {method + re.sub(r"\{[^}]+\}", "*", path) for method, path in BCRYPT_ROUTES}


def test_the_sign_in_role_is_the_api_policy_without_the_card_processor(template):
    resources = template["Resources"]

    def statements(function: str) -> dict[str, dict]:
        role = resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]
        [policy] = resources[role]["Properties"]["Policies"]
        return {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}

    api, sign_in = statements("APIHandler"), statements("SignInHandler")
    assert set(api) - set(sign_in) == {"StripeSecretsOnly"}
    assert all(sign_in[sid] == api[sid] for sid in sign_in)
    assert "stripe" not in json.dumps(sign_in)
    group = resources["SignInHandlerLogGroup"]["Properties"]
    assert group["LogGroupName"] == f"/aws/lambda/{SIGN_IN_FUNCTION_NAME}"


def _decoded(resource_path: str) -> str:
    return resource_path[1:].replace("~1", "/") if resource_path != "/*" else "/*"


def test_throttles_per_route_are_twice_the_modelled_peak_minute(template):
    settings = template["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    rates = {(s["HttpMethod"], _decoded(s["ResourcePath"])): s["ThrottlingRateLimit"]
             for s in settings}
    assert all(s["ThrottlingBurstLimit"] == s["ThrottlingRateLimit"] for s in settings)
    sign_in_peak = PER_DAY["sign-in"] * 0.10 / 3600 * 3  # the issue: 167/s in a peak minute
    assert round(sign_in_peak) == 167
    assert rates[("POST", "/v1/auth/login")] == 340 >= 2 * sign_in_peak
    assert rates[("POST", "/v1/deposits")] == 50
    assert rates[("*", "/*")] == edge_model.limit(edge_model.default_peak()) == 670
    for (method, path), rate in rates.items():
        if path != "/*":
            assert method in app.routes[path], path  # every setting names a real route
        assert rate > 0
    assert set(BCRYPT_ROUTES) <= set(rates)  # each bcrypt route has its own bucket


def _matches(statement: dict, path: str) -> bool:
    """WAF's answer for a byte-match (or an OR of them) on the URI path."""
    if "OrStatement" in statement:
        return any(_matches(s, path) for s in statement["OrStatement"]["Statements"])
    match = statement["ByteMatchStatement"]
    value, wanted = path.lower(), match["SearchString"]
    return {"CONTAINS": wanted in value, "ENDS_WITH": value.endswith(wanted),
            "EXACTLY": value == wanted}[match["PositionalConstraint"]]


def test_waf_limits_each_address_tighter_on_sign_in_and_runs_the_managed_rules(template):
    [(acl_id, acl)] = resources_of_type(template, "AWS::WAFv2::WebACL").items()
    [association] = resources_of_type(template, "AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert "/restapis/${RestAPI}/stages/${RestAPI.Stage}" in \
        association["Properties"]["ResourceArn"]["Fn::Sub"]
    properties = acl["Properties"]
    assert properties["Scope"] == "REGIONAL" and properties["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in properties["Rules"]}
    limits = edge_model.address_limits()
    sign_in = rules["SignInPerAddress"]["Statement"]["RateBasedStatement"]
    everything = rules["AllPerAddress"]["Statement"]["RateBasedStatement"]
    assert (sign_in["AggregateKeyType"], everything["AggregateKeyType"]) == ("IP", "IP")
    assert (sign_in["Limit"], everything["Limit"]) == (limits["sign-in"], limits["all"])
    assert sign_in["Limit"] < everything["Limit"]
    # Direct requests count API Gateway's address; the web app's distribution's (proven by its
    # secret header) count the viewer's, with the same limits.
    not_from_edge = {"NotStatement": {"Statement": from_our_edge()}}
    assert everything["ScopeDownStatement"] == not_from_edge
    [scope, edge] = sign_in["ScopeDownStatement"]["AndStatement"]["Statements"]
    assert edge == not_from_edge
    for direct, viewer in (("SignInPerAddress", "SignInPerViewer"), ("AllPerAddress", "AllPerViewer")):
        through = rules[viewer]["Statement"]["RateBasedStatement"]
        assert through["AggregateKeyType"] == "FORWARDED_IP"
        assert through["ForwardedIPConfig"]["HeaderName"] == "X-Forwarded-For"
        assert through["Limit"] == rules[direct]["Statement"]["RateBasedStatement"]["Limit"]
        assert json.dumps(from_our_edge()) in json.dumps(through["ScopeDownStatement"])
        assert "NotStatement" not in json.dumps(through["ScopeDownStatement"])
    for rule in ("SignInPerAddress", "AllPerAddress", "SignInPerViewer", "AllPerViewer"):
        assert rules[rule]["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    header = from_our_edge()["ByteMatchStatement"]
    assert header["FieldToMatch"] == {"SingleHeader": {"Name": "x-kinlink-edge"}}
    assert "${EdgeOriginSecret}" in header["SearchString"]["Fn::Sub"]
    body = json.loads(properties["CustomResponseBodies"]["rate_limited"]["Content"])
    assert (body["status"], body["code"]) == (429, "rate_limited")
    for method, path in BCRYPT_ROUTES:  # on the custom domain and on execute-api (/api/...)
        concrete = path.replace("{inmate_id}", "inm_A1001")
        assert _matches(scope, concrete) and _matches(scope, "/api" + concrete), path
    assert _matches(scope, "/v1/auth/password/forgot")  # sends mail: the tighter limit too
    for other in ("/v1/deposits", "/v1/contacts/c1/messages", "/v1/facilities",
                  "/v1/account/activity"):  # (GET /v1/account shares DELETE's tighter limit)
        assert not _matches(scope, other), other
    assert scope == sign_in_scope()
    assert rules["SignInPerViewer"]["Statement"]["RateBasedStatement"]["ScopeDownStatement"][
        "AndStatement"]["Statements"][0] == sign_in_scope()
    managed = {rule["Statement"]["ManagedRuleGroupStatement"]["Name"] for rule in rules.values()
               if "ManagedRuleGroupStatement" in rule["Statement"]}
    assert managed == {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}
    for rule in [*rules.values(), properties]:
        assert rule["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True


def test_alarms_on_throttling_of_api_lambda_and_dynamodb_and_on_conflicts(template):
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    filters = resources_of_type(template, "AWS::Logs::MetricFilter")
    topic = [{"Ref": "AlarmTopic"}]
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == topic

    def metric(name: str) -> list[dict]:
        return [a["Properties"] for a in alarms.values()
                if a["Properties"].get("MetricName") == name]

    # API Gateway's 429s, counted from the access log (no metric of its own)
    [throttled] = [f["Properties"] for f in filters.values()
                   if f["Properties"]["LogGroupName"] == {"Ref": "ApiAccessLogs"}]
    assert throttled["FilterPattern"] == '{ $.status = "429" }'
    assert metric(throttled["MetricTransformations"][0]["MetricName"])
    assert metric("BlockedRequests")
    share = alarms["Api4xxAlarm"]["Properties"]
    assert {m["MetricStat"]["Metric"]["MetricName"] for m in share["Metrics"]
            if "MetricStat" in m} == {"4XXError", "Count"}
    # Lambda throttles of both API functions
    throttled_functions = {d["Value"] for a in metric("Throttles") for d in a["Dimensions"]}
    assert throttled_functions == {"kinlink-prod-api", SIGN_IN_FUNCTION_NAME}
    # DynamoDB: reads + writes throttled, one alarm per table
    tables = {t["Properties"]["TableName"]
              for t in resources_of_type(template, "AWS::DynamoDB::Table").values()}
    watched = {m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]
               for a in alarms.values() for m in a["Properties"].get("Metrics", [])
               if "MetricStat" in m and m["MetricStat"]["Metric"]["Namespace"] == "AWS/DynamoDB"}
    assert watched == tables
    # transaction conflicts, from the line core/store.py logs, in every function's log group
    conflict_filters = {f["Properties"]["LogGroupName"]["Ref"] for f in filters.values()
                        if "transaction_conflict" in f["Properties"]["FilterPattern"]}
    functions = resources_of_type(template, "AWS::Serverless::Function")
    assert conflict_filters == {f"{name}LogGroup" for name in functions}
    [conflicts] = metric("TransactionConflicts")
    assert conflicts["Threshold"] == 150  # 1% of a peak minute's deposits and stamp purchases


def _conflict() -> TransactWriteError:
    response = {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                "CancellationReasons": [{"Code": "TransactionConflict"}]}
    return TransactWriteError("Failed to write transaction items", VerboseClientError(
        response, "TransactWriteItems", {},
        cancellation_reasons=[CancellationReason("TransactionConflict")]))


def test_a_retried_conflict_logs_the_line_the_alarm_counts_and_nothing_else(capsys, monkeypatch):
    monkeypatch.setattr(store.time, "sleep", lambda seconds: None)
    attempts = []

    def write() -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise _conflict()

    store._with_conflict_retries(write, TransactWriteError)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()
             if line.startswith("{")]
    assert [(line["event"], line["attempt"], line["retried"]) for line in lines] == [
        ("transaction_conflict", 1, True), ("transaction_conflict", 2, True)]
    assert set(lines[0]) == {"at", "level", "event", "request_id", "kind", "attempt", "retried"}

    def always() -> None:
        raise _conflict()

    with pytest.raises(TransactWriteError):
        store._with_conflict_retries(always, TransactWriteError)
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (last["attempt"], last["retried"]) == (store.CONFLICT_RETRIES + 1, False)


def test_card_processor_calls_end_well_under_api_gateways_29_seconds():
    """docs/decisions/stripe.md: each call waits at most the timeout; an authorization is tried
    1 + retries times (0.5 s back-off) and a replayed intent looked up; then a capture."""
    from chalicelib.config import Settings

    settings = Settings()
    prod = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]
    assert not {"STRIPE_TIMEOUT_SECONDS", "STRIPE_MAX_RETRIES"} & set(
        prod["environment_variables"])  # prod keeps the defaults below
    authorization = (1 + settings.stripe_max_retries) * settings.stripe_timeout_seconds + 0.5
    worst = authorization + 2 * settings.stripe_timeout_seconds  # look-up, capture
    assert settings.stripe_timeout_seconds == 5 and worst <= 21 < 29
