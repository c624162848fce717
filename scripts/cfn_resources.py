"""Print the CloudFormation merge template that ``make package`` hands to ``chalice package``.

Chalice generates the functions, their roles (policy: ``.chalice/policy-prod.json``), the REST API
and the schedule rules.  This adds what Chalice does not know about, for the ``prod`` stage:

* one DynamoDB table per PynamoDB model registered in ``chalicelib.core.store.MODELS`` (on-demand
  billing, keys, GSIs/LSIs, TTL), generated from the models so tables are never kept twice;
* the ``AppSecret`` Secrets Manager secret holding ``SECRET_KEY``: generated when the stack is
  created, kept across deploys (and when the stack goes), and passed to every function as its
  ARN (``SECRET_KEY_ARN``): the key itself is in no environment variable and no template;
* a fixed name (``kinlink-prod-<function>``) and a log group with a retention for every function,
  so each role may write only to this app's log groups (each scheduled job only to its own;
  see ``.chalice/policy-prod*.json``);
* API Gateway access logs (one JSON line per request, no tokens: no query string, no headers)
  in their own log group, and the account's API Gateway CloudWatch role they need;
* Stripe's secret key and webhook secret in Secrets Manager (``stripe_secret_resources``),
  created with a placeholder the operator replaces once, passed as ARNs (``STRIPE_*_ARN``);
* a KMS key with the alias ``alias/kinlink-prod-totp`` (its id in ``KMS_KEY_ID``); the role
  policy may use only the key carrying that alias (``kms:ResourceAliases``), so the static policy
  file needs no reference to a template resource;
* gateway responses that answer RFC 9457 problems, so errors raised before the Lambda runs
  (unknown route, throttling, oversized body) match the app's own;
* the edge (``scripts/cfn_edge.py``): per-route throttles, WAF, the bcrypt routes on their own
  function, alarms on throttling and transaction conflicts, all sized by ``bench/edge_model.py``;
* the notification queue (``NOTIFICATION_QUEUE``: encrypted, one hour of retention) with its
  dead-letter queue, and what the worker Lambda's event source needs beyond Chalice's
  (``notification_*``);
* the media bucket (photos and VideoGrams, ``media_bucket_resources``): private, encrypted,
  public access blocked, TLS only, unsent uploads and media expired after a day by lifecycle;
  its name reaches the functions as ``MEDIA_BUCKET``;
* CloudWatch alarms on the API's 5xx answers and on any message in the dead-letter queue,
  publishing to an SNS topic (``AlarmEmail`` subscribes an address to it);
* when ``ApiDomainName`` and ``ApiCertificateArn`` are given, the API's custom domain (regional,
  TLS 1.2) with an empty base path mapping to the stage, so paths have no ``/api`` prefix;
* the family web app's bucket and CloudFront distribution (``cfn_webapp``), which serves the
  app and the API under one domain.

Usage: ``python scripts/cfn_resources.py > build/resources.json``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGE = "prod"
APP_PREFIX = f"kinlink-{STAGE}"
TOTP_KEY_ALIAS = "alias/kinlink-prod-totp"
# The policy files name it (``secret:kinlink-prod/secret-key-??????``, the suffix AWS adds).
SECRET_NAME = f"{APP_PREFIX}/secret-key"
EDGE_SECRET_NAME = f"{APP_PREFIX}/edge-origin-secret"
# Stripe's secrets (``.chalice/policy-prod*.json`` name them); the app refuses the placeholder.
STRIPE_SECRET_KEY_NAME = f"{APP_PREFIX}/stripe-secret-key"
STRIPE_WEBHOOK_SECRET_NAME = f"{APP_PREFIX}/stripe-webhook-secret"
PLACEHOLDER = "not set yet:"
# How long function and access logs are kept (CloudWatch's allowed values include 365).
LOG_RETENTION_DAYS = 365
# API Gateway access log line: who, what, how it ended; ``resourcePath`` is the route template
# (``/v1/contacts/{contact_id}``), so neither ids nor query strings (reset tokens) nor headers
# (bearer tokens) are written.
ACCESS_LOG_FORMAT = {
    "request_id": "$context.requestId",
    "time": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "user_agent": "$context.identity.userAgent",
    "method": "$context.httpMethod",
    "route": "$context.resourcePath",
    "status": "$context.status",
    "response_bytes": "$context.responseLength",
    "latency_ms": "$context.responseLatency",
    "integration_latency_ms": "$context.integrationLatency",
    "error": "$context.error.responseType",
}

# Gateway responses: (response type, status, problem code, detail).  API Gateway answers these
# itself, before the Lambda runs; everything else is answered by the app.
GATEWAY_PROBLEMS = [
    ("MISSING_AUTHENTICATION_TOKEN", 404, "not_found", "No such resource."),
    ("RESOURCE_NOT_FOUND", 404, "not_found", "No such resource."),
    ("THROTTLED", 429, "rate_limited", "Too many requests; wait a moment and retry."),
    ("QUOTA_EXCEEDED", 429, "rate_limited", "Too many requests; wait a moment and retry."),
    ("REQUEST_TOO_LARGE", 413, "too_large", "The request body is too large."),
    ("UNSUPPORTED_MEDIA_TYPE", 415, "unsupported_media_type",
     "Send the request body as application/json."),
    ("BAD_REQUEST_BODY", 400, "invalid_request", "The request could not be understood."),
    ("BAD_REQUEST_PARAMETERS", 400, "invalid_request", "The request could not be understood."),
    ("INTEGRATION_TIMEOUT", 504, "unavailable", "The service took too long; try again."),
    ("INTEGRATION_FAILURE", 502, "unavailable", "The service is unavailable; try again."),
    # The remaining 4xx types need API keys, IAM auth, WAF or resource policies, which this API
    # does not use: a refusal of that kind is a 403.  A template cannot read the status code,
    # so the defaults fix it.
    ("DEFAULT_4XX", 403, "forbidden", "The request was refused."),
    ("DEFAULT_5XX", 500, "internal_error", "Something went wrong on our side; nothing was changed."),
]


def stage_environment() -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return {**config.get("environment_variables", {}),
            **config["stages"][STAGE].get("environment_variables", {})}


def cfn_name(name: str) -> str:
    from chalice.utils import to_cfn_resource_name

    return to_cfn_resource_name(name)


# --- tables ----------------------------------------------------------------------------------

def table_base_name(model) -> str:
    """The unprefixed table name of a model (``store.TableName`` holds it)."""
    from chalicelib.core.store import TableName

    declared = vars(model.Meta).get("table_name")
    if not isinstance(declared, TableName):
        raise SystemExit(f"{model.__name__}.Meta.table_name must be a store.TableName")
    return declared.name


def _key_schema(elements: list[dict]) -> list[dict]:
    # CloudFormation wants the HASH key first; PynamoDB lists keys in declaration order.
    ordered = sorted(elements, key=lambda element: element["KeyType"] != "HASH")
    return [{"AttributeName": e["AttributeName"], "KeyType": e["KeyType"]} for e in ordered]


def _projection(projection: dict) -> dict:
    rendered = {"ProjectionType": projection["ProjectionType"]}
    if projection.get("NonKeyAttributes"):
        rendered["NonKeyAttributes"] = list(projection["NonKeyAttributes"])
    return rendered


def _index(index: dict) -> dict:
    return {"IndexName": index["index_name"], "KeySchema": _key_schema(index["key_schema"]),
            "Projection": _projection(index["projection"])}


def table_resource(model, prefix: str) -> dict:
    from pynamodb.attributes import TTLAttribute

    schema = model._get_schema()
    definitions = {d["AttributeName"]: d["AttributeType"] for d in schema["attribute_definitions"]}
    for index in schema["global_secondary_indexes"] + schema["local_secondary_indexes"]:
        definitions.update({d["AttributeName"]: d["AttributeType"]
                            for d in index["attribute_definitions"]})
    properties = {
        "TableName": prefix + table_base_name(model),
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": _key_schema(schema["key_schema"]),
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": kind}
                                 for name, kind in sorted(definitions.items())],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
    }
    if schema["global_secondary_indexes"]:
        properties["GlobalSecondaryIndexes"] = [_index(i) for i in schema["global_secondary_indexes"]]
    if schema["local_secondary_indexes"]:
        properties["LocalSecondaryIndexes"] = [_index(i) for i in schema["local_secondary_indexes"]]
    ttl = [a.attr_name for a in model.get_attributes().values() if isinstance(a, TTLAttribute)]
    if ttl:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl[0], "Enabled": True}
    # Tables hold the service's data: deleting or replacing the stack must not take them along.
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain", "Properties": properties}


# --- notification queue (every email and SMS; issue 9, F8) ----------------------------------

NOTIFICATION_QUEUE_RESOURCE = "NotificationQueue"
NOTIFICATION_DEAD_LETTER_RESOURCE = "NotificationDeadLetterQueue"
NOTIFICATION_WORKER = "deliver_notifications"  # the @app.on_sqs_message function
# Messages hold one-time codes that live 10 minutes: an hour covers retries, nothing more.
NOTIFICATION_RETENTION_SECONDS = 60 * 60
DEAD_LETTER_RETENTION_SECONDS = 24 * 60 * 60  # a day to look at what failed, then gone
NOTIFICATION_MAX_RECEIVES = 3  # chalicelib.core.delivery.MAX_RECEIVES, as the local queues


def notification_queue_resources(queue_name: str, lambda_timeout: int) -> dict:
    """The queue (SSE with SQS-managed keys), its dead-letter queue after a few receives."""
    return {
        NOTIFICATION_QUEUE_RESOURCE: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": queue_name,
                "SqsManagedSseEnabled": True,
                "MessageRetentionPeriod": NOTIFICATION_RETENTION_SECONDS,
                # AWS's advice for a Lambda event source: six times the function's timeout.
                "VisibilityTimeout": 6 * lambda_timeout,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {
                        "Fn::GetAtt": [NOTIFICATION_DEAD_LETTER_RESOURCE, "Arn"]},
                    "maxReceiveCount": NOTIFICATION_MAX_RECEIVES,
                },
            },
        },
        NOTIFICATION_DEAD_LETTER_RESOURCE: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": queue_name + "-dead-letter",
                "SqsManagedSseEnabled": True,
                "MessageRetentionPeriod": DEAD_LETTER_RETENTION_SECONDS,
            },
        },
    }


def notification_worker_event(app) -> dict:
    """What the template adds to the worker: it waits for the queue (Chalice's event source
    names the queue by its ARN; the function, and so its event source mapping, is created after
    the queue) and reports failed messages one by one (partial batch response)."""
    from chalice.app import SQSEventConfig

    [source] = [s for s in app.event_sources
                if isinstance(s, SQSEventConfig) and s.name == NOTIFICATION_WORKER]
    event_name = cfn_name(f"{source.name}-sqs-event-source")
    return {cfn_name(source.name): {
        "DependsOn": [NOTIFICATION_QUEUE_RESOURCE],
        "Properties": {"Events": {event_name: {"Properties": {
            "FunctionResponseTypes": ["ReportBatchItemFailures"]}}}},
    }}


# --- media bucket (issue 16: photos and VideoGrams) ------------------------------------------

MEDIA_BUCKET_RESOURCE = "MediaBucket"
# ``.chalice/policy-prod.json`` names it (``kinlink-prod-media-*``): account-unique, fixed.
MEDIA_BUCKET_NAME = {"Fn::Sub": f"{APP_PREFIX}-media-${{AWS::AccountId}}"}


def media_bucket_resources(cors_origin: str | None) -> dict:
    """The bucket families upload to with a presigned POST and everyone reads through presigned
    GETs: no public access of any kind, encrypted at rest, TLS only, objects owned by the
    bucket; the lifecycle rules are ``chalicelib.media.objects``' (the local stand-in's)."""
    from chalicelib.media import objects

    rules = []
    for rule in objects.LIFECYCLE_RULES:
        rendered = {"Id": rule["ID"], "Status": rule["Status"]}
        if "Prefix" in rule["Filter"]:
            rendered["Prefix"] = rule["Filter"]["Prefix"]
        else:
            rendered["TagFilters"] = [rule["Filter"]["Tag"]]
        if "Expiration" in rule:
            rendered["ExpirationInDays"] = rule["Expiration"]["Days"]
        else:
            rendered["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
        rules.append(rendered)
    encryption = objects.ENCRYPTION["Rules"][0]
    properties = {
        "BucketName": MEDIA_BUCKET_NAME,
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
            "ServerSideEncryptionByDefault": encryption["ApplyServerSideEncryptionByDefault"],
            "BucketKeyEnabled": encryption["BucketKeyEnabled"]}]},
        "PublicAccessBlockConfiguration": objects.PUBLIC_ACCESS_BLOCK,
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "LifecycleConfiguration": {"Rules": rules},
    }
    if cors_origin:  # the family web app uploads and shows files from the browser
        properties["CorsConfiguration"] = {"CorsRules": [{
            "AllowedOrigins": [cors_origin], "AllowedMethods": ["POST", "GET"],
            "AllowedHeaders": ["*"], "MaxAge": 3000}]}
    arn = {"Fn::GetAtt": [MEDIA_BUCKET_RESOURCE, "Arn"]}
    return {
        # Families' photos: kept when the stack goes (erasure deletes them one by one).
        MEDIA_BUCKET_RESOURCE: {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain",
                                "UpdateReplacePolicy": "Retain", "Properties": properties},
        "MediaBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": {"Ref": MEDIA_BUCKET_RESOURCE}, "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*",
                               "Action": "s3:*",
                               "Resource": [arn, {"Fn::Sub": "${MediaBucket.Arn}/*"}],
                               "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}},
        },
    }


# --- alarms (README "Deploy", step 8) ---------------------------------------------------------

ALARM_TOPIC = "AlarmTopic"
API_NAME = APP_PREFIX  # the REST API's name (``RestAPI.Name``), the alarms' dimension
API_STAGE = "api"  # .chalice/config.json api_gateway_stage
# 5xx answers in a 5-minute period that raise the alarm (a bug or a failing dependency: 503s
# count too); a lone 5xx is in the logs, not a page.
DEFAULT_5XX_THRESHOLD = 5


def alarm_resources() -> dict:
    actions = [{"Ref": ALARM_TOPIC}]
    return {
        ALARM_TOPIC: {
            "Type": "AWS::SNS::Topic",
            # CloudWatch publishes only when the topic's key lets it: SNS's AWS-managed key does
            # not, and alarms carry no secret, so the topic is not encrypted.
            "Properties": {"TopicName": f"{APP_PREFIX}-alarms",
                           "DisplayName": "Kinlink prod alarms"},
        },
        "AlarmEmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlarmEmail",
            "Properties": {"TopicArn": {"Ref": ALARM_TOPIC}, "Protocol": "email",
                           "Endpoint": {"Ref": "AlarmEmail"}},
        },
        "Api5xxAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": f"{APP_PREFIX}-api-5xx",
                "AlarmDescription": "The API answered 5xx (500 bugs, 502/503/504 dependencies or "
                                    "timeouts): read /aws/apigateway/kinlink-prod-access and the "
                                    "API's log group by request id.",
                "Namespace": "AWS/ApiGateway", "MetricName": "5XXError",
                "Dimensions": [{"Name": "ApiName", "Value": API_NAME},
                               {"Name": "Stage", "Value": API_STAGE}],
                "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1,
                "Threshold": {"Ref": "Api5xxAlarmThreshold"},
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": actions, "OKActions": actions,
            },
        },
        "NotificationDeadLetterAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": f"{APP_PREFIX}-notifications-dead-letter",
                "AlarmDescription": "An email or SMS failed 3 deliveries and sits in the "
                                    "dead-letter queue (kept one day): see README \"Email and "
                                    "SMS go out of band\".",
                "Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [{"Name": "QueueName", "Value": {
                    "Fn::GetAtt": [NOTIFICATION_DEAD_LETTER_RESOURCE, "QueueName"]}}],
                "Statistic": "Maximum", "Period": 300, "EvaluationPeriods": 1,
                "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": actions, "OKActions": actions,
            },
        },
    }


# --- custom domain (README "Deploy", step 6) -------------------------------------------------

def custom_domain_resources() -> dict:
    """The API under ``ApiDomainName`` (no stage prefix); DNS points the name at the output
    ``ApiDomainTarget``.  Without the two parameters nothing is created."""
    return {
        "ApiDomain": {
            "Type": "AWS::ApiGateway::DomainName",
            "Condition": "HasApiDomain",
            "Properties": {
                "DomainName": {"Ref": "ApiDomainName"},
                "RegionalCertificateArn": {"Ref": "ApiCertificateArn"},
                "EndpointConfiguration": {"Types": ["REGIONAL"]},
                "SecurityPolicy": "TLS_1_2",
            },
        },
        "ApiBasePathMapping": {
            "Type": "AWS::ApiGateway::BasePathMapping",
            "Condition": "HasApiDomain",
            "Properties": {"DomainName": {"Ref": "ApiDomain"}, "RestApiId": {"Ref": "RestAPI"},
                           "Stage": {"Ref": "RestAPI.Stage"}},
        },
    }


CONDITIONS = {
    "HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]},
    "HasApiDomain": {"Fn::And": [
        {"Fn::Not": [{"Fn::Equals": [{"Ref": "ApiDomainName"}, ""]}]},
        {"Fn::Not": [{"Fn::Equals": [{"Ref": "ApiCertificateArn"}, ""]}]}]},
}


# --- functions, key, API ---------------------------------------------------------------------

def function_names(app) -> dict[str, str]:
    """The logical ids ``chalice package`` gives the app's Lambda functions, each with the name
    given here, ``kinlink-prod-<name in app.py>`` (the API handler: ``kinlink-prod-api``):
    fixed, so the static policies can name their log groups."""
    names = {"APIHandler": f"{APP_PREFIX}-api"} if app.routes else {}
    for name in [source.name for source in app.event_sources] + \
            [function.name for function in app.pure_lambda_functions]:
        names[cfn_name(name)] = f"{APP_PREFIX}-{name}"
    return names


# --- secret key, log groups, access logs -----------------------------------------------------

def secret_resources() -> dict:
    """``SECRET_KEY`` in Secrets Manager, generated once: later deploys leave its value alone
    (the properties do not change), and deleting the stack keeps it."""
    return {
        "AppSecret": {
            "Type": "AWS::SecretsManager::Secret",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "Name": SECRET_NAME,
                "Description": "Kinlink prod SECRET_KEY: signs cursors and keys the HMACs of "
                               "one-time codes",
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
            },
        },
        # The web app's distribution sends it to the API as X-Kinlink-Edge (scripts/cfn_webapp.py);
        # the API and WAF believe a viewer address only beside it.  Rotate: put a new value and
        # redeploy (the distribution and the web ACL read it at deploy time).
        "EdgeOriginSecret": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": EDGE_SECRET_NAME,
                "Description": "Kinlink prod: proves a request came through the web app's "
                               "CloudFront distribution",
                "GenerateSecretString": {"PasswordLength": 48, "ExcludePunctuation": True},
            },
        },
    }


def stripe_secret_resources() -> dict:
    """Stripe's secret API key and the webhook endpoint's signing secret: Stripe issues them,
    so the stack creates each with a placeholder saying how to set it; the template never
    changes that placeholder, so a value put with ``put-secret-value`` stays across deploys."""
    def secret(name: str, what: str, example: str) -> dict:
        return {"Type": "AWS::SecretsManager::Secret", "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {"Name": name, "Description": f"Kinlink prod: {what}",
                               "SecretString": f"{PLACEHOLDER} aws secretsmanager "
                                               f"put-secret-value --secret-id {name} "
                                               f"--secret-string {example}"}}

    return {"StripeSecretKey": secret(STRIPE_SECRET_KEY_NAME, "Stripe's secret API key",
                                      "sk_live_..."),
            "StripeWebhookSecret": secret(STRIPE_WEBHOOK_SECRET_NAME,
                                          "the signing secret of Stripe's webhook endpoint "
                                          "for /v1/webhooks/stripe", "whsec_...")}


def log_group(name: str) -> dict:
    # Kept when the stack goes: they are the record of what happened.
    return {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {"LogGroupName": name, "RetentionInDays": LOG_RETENTION_DAYS}}


def function_log_groups(functions: dict[str, str]) -> dict:
    """One log group per function, created before it: the roles may not create log groups."""
    return {f"{logical_id}LogGroup": log_group(f"/aws/lambda/{name}")
            for logical_id, name in functions.items()}


def access_log_resources() -> dict:
    """The access log group, and the account-wide role API Gateway writes logs with (one per
    account and region: ``AWS::ApiGateway::Account`` sets it)."""
    return {
        "ApiAccessLogs": log_group(f"/aws/apigateway/{APP_PREFIX}-access"),
        "ApiGatewayCloudWatchRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow",
                                   "Principal": {"Service": "apigateway.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}],
                },
                "ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/"
                                                  "service-role/AmazonAPIGatewayPushToCloudWatchLogs"}],
            },
        },
        "ApiGatewayAccount": {
            "Type": "AWS::ApiGateway::Account",
            "Properties": {"CloudWatchRoleArn": {"Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]}},
        },
    }


def key_resources() -> dict:
    return {
        "TotpKey": {
            "Type": "AWS::KMS::Key",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "Description": "Kinlink prod: encrypts TOTP secrets at rest",
                "EnableKeyRotation": True,
                # The account's IAM policies decide who may use the key (the Lambda roles get
                # Encrypt/Decrypt through policy-prod.json); this is the AWS default key policy.
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "AccountIamPoliciesGovernUse",
                        "Effect": "Allow",
                        "Principal": {"AWS": {
                            "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                        "Action": "kms:*",
                        "Resource": "*",
                    }],
                },
            },
        },
        "TotpKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": TOTP_KEY_ALIAS, "TargetKeyId": {"Ref": "TotpKey"}},
        },
    }


# Statuses only API Gateway produces, so the app's problem module has no title for them.
GATEWAY_TITLES = {429: "Too many requests", 502: "Service unavailable", 504: "Service unavailable"}


def problem_template(status: int, code: str, detail: str) -> str:
    from chalicelib.web.problems import PROBLEM_TYPE_BASE, TITLE_BY_STATUS

    title = TITLE_BY_STATUS.get(status) or GATEWAY_TITLES[status]
    body = {"type": PROBLEM_TYPE_BASE + code, "title": title,
            "status": status, "detail": detail, "code": code, "request_id": "$context.requestId"}
    return json.dumps(body)


def gateway_responses(cors_origin: str | None) -> dict:
    from chalicelib.web.http import STRICT_TRANSPORT_SECURITY

    headers = {"Content-Type": "'application/problem+json'", "Cache-Control": "'no-store'",
               "Strict-Transport-Security": f"'{STRICT_TRANSPORT_SECURITY}'"}
    if cors_origin:  # browsers must be able to read these errors too
        headers["Access-Control-Allow-Origin"] = f"'{cors_origin}'"
    return {
        response_type: {
            "StatusCode": str(status),
            "ResponseParameters": {"Headers": headers},
            "ResponseTemplates": {"application/json": problem_template(status, code, detail)},
        }
        for response_type, status, code, detail in GATEWAY_PROBLEMS
    }


# Every function's settings name them (the start-up check wants a processor); only the API's
# and the settlement job's roles may read them.
STRIPE_ENVIRONMENT = {"STRIPE_SECRET_KEY_ARN": {"Ref": "StripeSecretKey"},
                      "STRIPE_WEBHOOK_SECRET_ARN": {"Ref": "StripeWebhookSecret"}}

# What the template adds to every function's environment.
FUNCTION_ENVIRONMENT = {"SECRET_KEY_ARN": {"Ref": "AppSecret"}, "KMS_KEY_ID": {"Ref": "TotpKey"},
                        "EDGE_ORIGIN_SECRET_ARN": {"Ref": "EdgeOriginSecret"},
                        "MEDIA_BUCKET": {"Ref": MEDIA_BUCKET_RESOURCE}, **STRIPE_ENVIRONMENT}

PARAMETERS = {
    "Api5xxAlarmThreshold": {"Type": "Number", "Default": DEFAULT_5XX_THRESHOLD, "MinValue": 1,
                             "Description": "5xx answers in 5 minutes that raise the alarm"},
    "AlarmEmail": {"Type": "String", "Default": "",
                   "Description": "An address the alarms are emailed to (confirm the "
                                  "subscription email); empty: subscribe yourself to the topic"},
    "ApiDomainName": {"Type": "String", "Default": "",
                      "Description": "The API's own domain (api.example.org); empty: none"},
    "ApiCertificateArn": {"Type": "String", "Default": "",
                          "Description": "ACM certificate for ApiDomainName, in the stack's "
                                         "region (regional endpoint)"},
}


def edge_resources(app, environment: dict, functions: dict[str, str],
                   tables: dict[str, str]) -> tuple[dict, dict]:
    """Throttles, WAF, the sign-in function and the edge's alarms (``scripts/cfn_edge.py``)."""
    from chalice import __version__ as chalice_version
    from chalice.config import Config

    import cfn_edge

    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    api_function = {  # what Chalice gives the API function (tests/test_edge_template.py checks)
        "Runtime": Config().lambda_python_version, "Handler": "app.app",
        "CodeUri": "./deployment.zip", "Timeout": config["lambda_timeout"],
        "Architectures": ["x86_64"], "Tracing": "PassThrough",
        "Tags": {"aws-chalice": f"version={chalice_version}:stage={STAGE}:app={config['app_name']}"},
        "Environment": {"Variables": {**environment, **FUNCTION_ENVIRONMENT}},
    }
    policy = json.loads((ROOT / ".chalice" / config["iam_policy_file"]).read_text())
    return cfn_edge.edge_resources(
        api_function, app.routes, policy, log_group(f"/aws/lambda/{cfn_edge.SIGN_IN_FUNCTION_NAME}"),
        functions, tables, ALARM_TOPIC, API_NAME, API_STAGE, "ApiAccessLogs",
        cfn_edge.rate_limited_problem(problem_template))


def build_template() -> dict:
    sys.path.insert(0, str(ROOT))
    import app as app_module  # registers every scheduled function

    from chalicelib.core import lazy
    from chalicelib.core.store import MODELS

    lazy.load_registrations()  # every model (each is named by a data-rights holding)

    environment = stage_environment()
    resources = {}
    for model in MODELS:
        resources[cfn_name(table_base_name(model)) + "Table"] = table_resource(
            model, environment["TABLE_PREFIX"])
    tables = {name: resource["Properties"]["TableName"] for name, resource in resources.items()}
    resources.update(key_resources())
    resources.update(secret_resources())
    resources.update(stripe_secret_resources())
    resources.update(notification_queue_resources(
        environment["NOTIFICATION_QUEUE"],
        json.loads((ROOT / ".chalice" / "config.json").read_text())["lambda_timeout"]))
    functions = function_names(app_module.app)
    resources.update(function_log_groups(functions))
    resources.update(access_log_resources())
    resources.update(alarm_resources())
    resources.update(custom_domain_resources())
    resources.update(media_bucket_resources(environment.get("CORS_ALLOW_ORIGIN")))
    function_environment = {"Variables": FUNCTION_ENVIRONMENT}
    for logical_id, name in functions.items():
        resources[logical_id] = {
            "DependsOn": [f"{logical_id}LogGroup"],
            "Properties": {"FunctionName": name, "Environment": function_environment},
        }
    edge, edge_api = edge_resources(app_module.app, environment, functions, tables)
    resources.update(edge)
    for name, worker in notification_worker_event(app_module.app).items():
        resources[name]["DependsOn"] += worker["DependsOn"]
        resources[name]["Properties"].update(worker["Properties"])
    resources["RestAPI"] = {
        "DependsOn": ["ApiGatewayAccount"],
        "Properties": {
            "Name": API_NAME,
            "AccessLogSetting": {
                "DestinationArn": {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]},
                "Format": json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":")),
            },
            "GatewayResponses": gateway_responses(environment.get("CORS_ALLOW_ORIGIN")),
            **edge_api,
        },
    }
    import cfn_webapp  # beside this file: the web app's bucket and distribution

    return cfn_webapp.add_to({
        "Parameters": dict(PARAMETERS),
        "Conditions": dict(CONDITIONS),
        "Resources": resources,
        "Outputs": {"TotpKeyArn": {"Value": {"Fn::GetAtt": ["TotpKey", "Arn"]}},
                    "AppSecretArn": {"Value": {"Ref": "AppSecret"}},
                    "NotificationDeadLetterQueueUrl": {
                        "Value": {"Ref": NOTIFICATION_DEAD_LETTER_RESOURCE}},
                    "AlarmTopicArn": {"Value": {"Ref": ALARM_TOPIC}},
                    "ApiDomainTarget": {
                        "Condition": "HasApiDomain",
                        "Description": "Point ApiDomainName here (CNAME, or a Route 53 alias)",
                        "Value": {"Fn::GetAtt": ["ApiDomain", "RegionalDomainName"]}}},
    }, app_module.app.routes, environment)


PLACEHOLDER_DOMAIN = "kinlink.example"  # RFC 2606: stands for the deployment's own domain


def placeholder_warning(environment: dict[str, str]) -> str | None:
    """A sentence for ``make package`` while the prod stage still names the placeholder."""
    named = sorted(key for key, value in environment.items() if PLACEHOLDER_DOMAIN in value)
    if not named:
        return None
    return (f"warning: the prod stage still uses the placeholder domain {PLACEHOLDER_DOMAIN} in "
            f"{', '.join(named)}: set your own in .chalice/config.json and "
            ".chalice/policy-prod-notifications.json (README \"Deploy, step by step\", step 1)")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # the app's packages, for cfn_webapp as for build_template
    import cfn_webapp

    for warning in (placeholder_warning(stage_environment()),
                    cfn_webapp.stripe_key_warning(stage_environment())):
        if warning:
            print(warning, file=sys.stderr)
    json.dump(build_template(), sys.stdout, indent=2)
    sys.stdout.write("\n")
