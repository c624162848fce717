"""The API's edge in the prod template (issue 13, findings 2 and 3; docs/decisions/edge.md).

``scripts/cfn_resources.py`` merges what ``edge_resources`` returns into the template Chalice
generates; every number comes from ``bench/edge_model.py`` (the scale model's peaks):

* API Gateway throttles per method: a default for every route, and one per counted or bcrypt
  route (``MethodSettings``);
* the bcrypt routes (``BCRYPT_ROUTES``) on a function of their own, ``kinlink-prod-signin``:
  the same code package and handler as the API function, 1,769 MB (a whole vCPU for bcrypt),
  reserved concurrency, its own role (the API's policy without Stripe's secrets) and log group;
  their integrations in the API's definition point at it and it may be invoked only by them;
* an AWS WAF web ACL on the stage: a rate-based rule per client address (tighter on sign-in and
  the other bcrypt and ``/v1/auth/`` routes), AWS's common and known-bad-inputs rule groups.
  Requests from the web app's CloudFront distribution (its secret ``X-Kinlink-Edge`` header)
  come from a few edge servers, so their rules count the viewer's ``X-Forwarded-For`` instead;
* alarms to the alarm topic: API throttling (429s, from the access log) and WAF blocks, Lambda
  throttles of both API functions, DynamoDB throttled requests per table, and transaction
  conflicts (the ``transaction_conflict`` lines ``core/store.py`` logs).
"""
from __future__ import annotations

import json
import math

from bench import edge_model
from bench.scale_model import PER_DAY, SIGN_IN_MEMORY_MB
from chalicelib.web.endpoint import EDGE_HEADER

# Every route whose handler hashes or checks a password or PIN with bcrypt
# (tests/test_edge_template.py finds them in the code and compares).
BCRYPT_ROUTES = [
    ("POST", "/v1/auth/login"),
    ("POST", "/v1/auth/signup"),
    ("POST", "/v1/auth/password/reset"),
    ("POST", "/v1/auth/invitations/accept"),
    ("POST", "/v1/account/password"),
    ("POST", "/v1/account/email"),
    ("POST", "/v1/account/phone"),
    ("POST", "/v1/account/mfa/totp/setup"),
    ("DELETE", "/v1/account/mfa/totp"),
    ("POST", "/v1/account/mfa/recovery-codes"),
    ("POST", "/v1/inmate/login"),
    ("POST", "/v1/inmate/pin"),
    ("POST", "/v1/staff/inmates/{inmate_id}/pin"),
    ("POST", "/v1/call-numbers"),
    ("DELETE", "/v1/account"),
]
SIGN_IN_FUNCTION = "SignInHandler"
SIGN_IN_FUNCTION_NAME = "kinlink-prod-signin"
API_FUNCTION = "APIHandler"
WEB_ACL = "ApiWebAcl"
# The API's policy statements the bcrypt routes do not need.
NOT_FOR_SIGN_IN = {"StripeSecretsOnly"}
# Prefixes WAF's tighter rule also covers: every anonymous account route (sign-in, codes,
# resets) sends mail or checks a secret.
SIGN_IN_PREFIXES = ["/v1/auth/"]
METRICS_NAMESPACE = "Kinlink"
ALARM_PERIOD = 300


def _integration_uri(function: str) -> dict:
    return {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31"
                       f"/functions/${{{function}.Arn}}/invocations"}


def _encoded(path: str) -> str:
    """A ``MethodSettings`` resource path: ``/v1/auth/login`` is ``/~1v1~1auth~1login``."""
    return "/" + path.replace("/", "~1")


def _throttle(path: str, method: str, rate: int) -> dict:
    return {"ResourcePath": path, "HttpMethod": method,
            "ThrottlingRateLimit": rate, "ThrottlingBurstLimit": rate}


def method_settings() -> list[dict]:
    """The default first (``/*``, every method), then one entry per route with its own peak."""
    settings = [_throttle("/*", "*", edge_model.limit(edge_model.default_peak()))]
    for (method, path), peak in sorted(edge_model.route_peaks(BCRYPT_ROUTES).items()):
        settings.append(_throttle(_encoded(path), method, edge_model.limit(peak)))
    return settings


# --- the sign-in function ---------------------------------------------------------------------

def sign_in_function(api_function: dict, routes: dict, policy: dict, log_group: dict) -> dict:
    """``api_function``: the properties Chalice gives the API function (runtime, handler, code,
    timeout, environment); ``routes``: Chalice's ``app.routes``; ``policy``: the API's."""
    missing = [route for route in BCRYPT_ROUTES if route[0] not in routes.get(route[1], {})]
    if missing:
        raise SystemExit(f"scripts/cfn_edge.py names routes the app does not have: {missing}")
    role = f"{SIGN_IN_FUNCTION}Role"
    statements = [s for s in policy["Statement"] if s.get("Sid") not in NOT_FOR_SIGN_IN]
    resources = {
        SIGN_IN_FUNCTION: {
            "Type": "AWS::Serverless::Function",
            "DependsOn": [f"{SIGN_IN_FUNCTION}LogGroup"],
            "Properties": {
                **api_function,
                "FunctionName": SIGN_IN_FUNCTION_NAME,
                "MemorySize": SIGN_IN_MEMORY_MB,
                "ReservedConcurrentExecutions": edge_model.reserved_concurrency(BCRYPT_ROUTES),
                "Role": {"Fn::GetAtt": [role, "Arn"]},
            },
        },
        f"{SIGN_IN_FUNCTION}LogGroup": log_group,
        role: {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole"}]},
                "Policies": [{"PolicyName": f"{role}Policy", "PolicyDocument": {
                    **policy, "Statement": statements}}],
            },
        },
    }
    for number, (method, path) in enumerate(BCRYPT_ROUTES, 1):
        arn_path = "/".join("*" if part.startswith("{") else part for part in path.split("/"))
        resources[f"{SIGN_IN_FUNCTION}InvokePermission{number}"] = {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "FunctionName": {"Ref": SIGN_IN_FUNCTION},
                "Action": "lambda:InvokeFunction",
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": {"Fn::Sub": [
                    "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
                    f"${{RestAPIId}}/*/{method}{arn_path}", {"RestAPIId": {"Ref": "RestAPI"}}]},
            },
        }
    return resources


def sign_in_paths() -> dict:
    """What the merge changes in the API's definition: the bcrypt routes' integrations."""
    paths: dict = {}
    for method, path in BCRYPT_ROUTES:
        paths.setdefault(path, {})[method.lower()] = {
            "x-amazon-apigateway-integration": {"uri": _integration_uri(SIGN_IN_FUNCTION)}}
    return paths


# --- WAF ----------------------------------------------------------------------------------------

def _visibility(name: str) -> dict:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}


def _path_match(constraint: str, value: str) -> dict:
    return {"ByteMatchStatement": {
        "FieldToMatch": {"UriPath": {}}, "PositionalConstraint": constraint,
        "SearchString": value.lower(),
        # The execute-api address prefixes the stage (/api/v1/...); the custom domain does not.
        "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"},
                                {"Priority": 1, "Type": "LOWERCASE"}]}}


def sign_in_scope() -> dict:
    """The bcrypt routes (by the path's fixed end: ``/pin`` for ``.../{inmate_id}/pin``) and
    every route under ``SIGN_IN_PREFIXES``."""
    ends = sorted({path.rsplit("}", 1)[-1] for _, path in BCRYPT_ROUTES
                   if not path.startswith(tuple(SIGN_IN_PREFIXES))})
    return {"OrStatement": {"Statements": [_path_match("CONTAINS", p) for p in SIGN_IN_PREFIXES]
                            + [_path_match("ENDS_WITH", end) for end in ends]}}


def from_our_edge() -> dict:
    """Requests carrying the header our CloudFront distribution adds (``EdgeOriginSecret``)."""
    return {"ByteMatchStatement": {
        "FieldToMatch": {"SingleHeader": {"Name": EDGE_HEADER.lower()}},
        "PositionalConstraint": "EXACTLY",
        "SearchString": {"Fn::Sub": "{{resolve:secretsmanager:${EdgeOriginSecret}}}"},
        "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}


def _rate_rule(name: str, priority: int, limit: int, scope: dict | None,
               through_edge: bool) -> dict:
    """Per client address; through the edge the address is the first of ``X-Forwarded-For``
    (CloudFront's viewer, unless the viewer wrote its own: a coarse first line, the app's
    per-source limits count the proven ``CloudFront-Viewer-Address``)."""
    statement = {"Limit": limit, "EvaluationWindowSec": edge_model.WAF_WINDOW_SECONDS,
                 "AggregateKeyType": "FORWARDED_IP" if through_edge else "IP"}
    if through_edge:
        statement["ForwardedIPConfig"] = {"HeaderName": "X-Forwarded-For",
                                          "FallbackBehavior": "MATCH"}
    edge = from_our_edge() if through_edge else {"NotStatement": {"Statement": from_our_edge()}}
    statement["ScopeDownStatement"] = {"AndStatement": {"Statements": [scope, edge]}} if scope \
        else edge
    return {"Name": name, "Priority": priority,
            "Statement": {"RateBasedStatement": statement},
            "Action": {"Block": {"CustomResponse": {"ResponseCode": 429,
                                                    "CustomResponseBodyKey": "rate_limited"}}},
            "VisibilityConfig": _visibility(f"{WEB_ACL}{name}")}


def _managed_rule(name: str, priority: int, overrides: list[str] = ()) -> dict:
    group = {"VendorName": "AWS", "Name": name}
    if overrides:
        group["RuleActionOverrides"] = [{"Name": rule, "ActionToUse": {"Count": {}}}
                                        for rule in overrides]
    return {"Name": name, "Priority": priority, "OverrideAction": {"None": {}},
            "Statement": {"ManagedRuleGroupStatement": group},
            "VisibilityConfig": _visibility(f"{WEB_ACL}{name}")}


def waf_resources(rate_limited_body: str) -> dict:
    """``rate_limited_body``: the problem document the app answers a 429 with."""
    limits = edge_model.address_limits()
    return {
        WEB_ACL: {
            "Type": "AWS::WAFv2::WebACL",
            "Properties": {
                "Name": "kinlink-prod-api",
                "Scope": "REGIONAL",
                "Description": "Kinlink prod API: per-address rate limits, AWS managed rules",
                "DefaultAction": {"Allow": {}},
                "CustomResponseBodies": {"rate_limited": {
                    "ContentType": "APPLICATION_JSON", "Content": rate_limited_body}},
                "Rules": [
                    _rate_rule("SignInPerAddress", 0, limits["sign-in"], sign_in_scope(), False),
                    _rate_rule("AllPerAddress", 1, limits["all"], None, False),
                    _rate_rule("SignInPerViewer", 2, limits["sign-in"], sign_in_scope(), True),
                    _rate_rule("AllPerViewer", 3, limits["all"], None, True),
                    # Bodies are limited by the app (413); the group's 8 KB cap would refuse
                    # roster imports.
                    _managed_rule("AWSManagedRulesCommonRuleSet", 4, ["SizeRestrictions_BODY"]),
                    _managed_rule("AWSManagedRulesKnownBadInputsRuleSet", 5),
                ],
                "VisibilityConfig": _visibility(WEB_ACL),
            },
        },
        f"{WEB_ACL}Association": {
            "Type": "AWS::WAFv2::WebACLAssociation",
            "Properties": {
                "WebACLArn": {"Fn::GetAtt": [WEB_ACL, "Arn"]},
                "ResourceArn": {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::"
                                           "/restapis/${RestAPI}/stages/${RestAPI.Stage}"},
            },
        },
    }


# --- alarms -------------------------------------------------------------------------------------

def _alarm(name: str, description: str, threshold: int, topic: str, **metric) -> dict:
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmName": f"kinlink-prod-{name}", "AlarmDescription": description, **metric,
        "Statistic": "Sum", "Period": ALARM_PERIOD, "EvaluationPeriods": 1,
        "Threshold": threshold, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": [{"Ref": topic}], "OKActions": [{"Ref": topic}]}}


def _metric_filter(log_group: str, pattern: str, metric: str) -> dict:
    return {"Type": "AWS::Logs::MetricFilter", "Properties": {
        "LogGroupName": {"Ref": log_group}, "FilterPattern": pattern,
        "MetricTransformations": [{"MetricNamespace": METRICS_NAMESPACE, "MetricName": metric,
                                   "MetricValue": "1"}]}}


# Thresholds a 5-minute period reaches to raise the alarm.  Throttling at the stage or in Lambda
# and DynamoDB throttling are not expected below the modelled peaks: a few are already news.
THROTTLED_REQUESTS = 50
# Percent of the answers that are 4xx (throttling included), once a period has some traffic.
API_4XX_PERCENT, API_4XX_MIN_REQUESTS = 10, 1_000
LAMBDA_THROTTLES = 5
DYNAMODB_THROTTLES = 10
WAF_BLOCKS = 100


def conflict_threshold() -> int:
    """Conflicts retried in 5 minutes above 1% of the money transactions of a peak minute
    (a deposit and a stamp purchase each)."""
    per_second = edge_model.peak_minute(PER_DAY["deposit"]) * 2
    return math.ceil(0.01 * per_second * ALARM_PERIOD)


def _api_4xx_share_alarm(topic: str, api_name: str, api_stage: str) -> dict:
    """A share, not a count: refused tokens and invalid input grow with the traffic."""
    def metric(key: str, name: str) -> dict:
        return {"Id": key, "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": "AWS/ApiGateway", "MetricName": name,
                       "Dimensions": [{"Name": "ApiName", "Value": api_name},
                                      {"Name": "Stage", "Value": api_stage}]},
            "Period": ALARM_PERIOD, "Stat": "Sum"}}

    alarm = _alarm("api-4xx-share", f"More than {API_4XX_PERCENT}% of the API's answers were "
                   "4xx (throttling and WAF's 429s count too): read the access log.",
                   API_4XX_PERCENT, topic)
    properties = alarm["Properties"]
    del properties["Statistic"], properties["Period"]
    properties["Metrics"] = [
        metric("errors", "4XXError"), metric("requests", "Count"),
        {"Id": "share", "ReturnData": True, "Label": "4xx share (%)",
         "Expression": f"IF(requests >= {API_4XX_MIN_REQUESTS}, 100 * errors / requests, 0)"}]
    return alarm


def _table_metric(key: str, name: str, table: str) -> dict:
    return {"Id": key, "ReturnData": False, "MetricStat": {
        "Metric": {"Namespace": "AWS/DynamoDB", "MetricName": name,
                   "Dimensions": [{"Name": "TableName", "Value": table}]},
        "Period": ALARM_PERIOD, "Stat": "Sum"}}


def alarm_resources(topic: str, functions: dict[str, str], tables: dict[str, str],
                    api_name: str, api_stage: str, access_log: str) -> dict:
    """``functions``: logical id -> name of every function (its log group is ``<id>LogGroup``);
    ``tables``: logical id -> table name."""
    resources = {
        "ApiThrottledFilter": _metric_filter(access_log, '{ $.status = "429" }', "ApiThrottled"),
        "ApiThrottledAlarm": _alarm(
            "api-throttled", "API Gateway answered 429 (a route's throttle or the account's): "
            "a flood, or traffic past docs/scale.md's peaks (raise bench/edge_model.py).",
            THROTTLED_REQUESTS, topic, Namespace=METRICS_NAMESPACE, MetricName="ApiThrottled"),
        "Api4xxAlarm": _api_4xx_share_alarm(topic, api_name, api_stage),
        "WafBlockedAlarm": _alarm(
            "waf-blocked", "WAF blocked requests (rate per address or a managed rule): see the "
            "web ACL's sampled requests.", WAF_BLOCKS, topic, Namespace="AWS/WAFV2",
            MetricName="BlockedRequests",
            Dimensions=[{"Name": "WebACL", "Value": "kinlink-prod-api"},
                        {"Name": "Region", "Value": {"Ref": "AWS::Region"}},
                        {"Name": "Rule", "Value": "ALL"}]),
        "TransactionConflictAlarm": _alarm(
            "transaction-conflicts", "DynamoDB transactions retried on conflicts above 1% of a "
            "peak minute's money transactions: a hot item (docs/scale.md).",
            conflict_threshold(), topic, Namespace=METRICS_NAMESPACE,
            MetricName="TransactionConflicts"),
    }
    for logical_id in functions:
        resources[f"{logical_id}ConflictFilter"] = _metric_filter(
            f"{logical_id}LogGroup", '{ $.event = "transaction_conflict" }',
            "TransactionConflicts")
    for logical_id in (API_FUNCTION, SIGN_IN_FUNCTION):
        resources[f"{logical_id}ThrottlesAlarm"] = _alarm(
            f"{functions[logical_id].removeprefix('kinlink-prod-')}-lambda-throttles",
            f"Lambda refused invocations of {functions[logical_id]} (its reserved or the "
            "account's concurrency): see docs/scale.md's concurrency.", LAMBDA_THROTTLES, topic,
            Namespace="AWS/Lambda", MetricName="Throttles",
            Dimensions=[{"Name": "FunctionName", "Value": functions[logical_id]}])
    for logical_id, table in tables.items():
        alarm = _alarm(f"dynamodb-throttled-{table.removeprefix('kinlink-prod-')}",
                       f"DynamoDB throttled reads or writes of {table}: a hot partition "
                       "(docs/scale.md).", DYNAMODB_THROTTLES, topic)
        properties = alarm["Properties"]
        del properties["Statistic"], properties["Period"]
        properties["Metrics"] = [_table_metric("reads", "ReadThrottleEvents", table),
                                 _table_metric("writes", "WriteThrottleEvents", table),
                                 {"Id": "throttled", "Expression": "reads + writes",
                                  "Label": "Throttled requests", "ReturnData": True}]
        resources[f"{logical_id}ThrottledAlarm"] = alarm
    return resources


def edge_resources(api_function: dict, routes: dict, policy: dict, log_group: dict,
                   functions: dict[str, str], tables: dict[str, str], topic: str,
                   api_name: str, api_stage: str, access_log: str,
                   rate_limited_body: str) -> tuple[dict, dict]:
    """(resources to add, properties to merge into ``RestAPI``)."""
    functions = {**functions, SIGN_IN_FUNCTION: SIGN_IN_FUNCTION_NAME}
    resources = sign_in_function(api_function, routes, policy, log_group)
    resources.update(waf_resources(rate_limited_body))
    resources.update(alarm_resources(topic, functions, tables, api_name, api_stage, access_log))
    api = {"MethodSettings": method_settings(),
           "DefinitionBody": {"paths": sign_in_paths()}}
    return resources, api


def rate_limited_problem(problem_template) -> str:
    """The 429 problem document, without API Gateway's request id (WAF has none to give)."""
    body = json.loads(problem_template(429, "rate_limited",
                                       "Too many requests; wait a moment and retry."))
    body.pop("request_id", None)
    return json.dumps(body)
