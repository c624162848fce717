"""The deployable template: `chalice package` for prod with the generated merge template.

The project is packaged from a copy whose ``requirements.txt`` is empty: the template does not
depend on the Lambda's libraries, and without them packaging needs no download (offline, fast).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from pynamodb.attributes import TTLAttribute
from pynamodb.indexes import GlobalSecondaryIndex, LocalSecondaryIndex

from app import app
from chalice.app import ScheduledEventConfig
from chalicelib.core.store import MODELS

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROD = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]
PROD_ENV = PROD["environment_variables"]

# cfn-lint findings accepted on purpose (rule id -> why).  Empty: none today.
ACCEPTED_LINT_RULES: dict[str, str] = {}


def resources_of_type(template: dict, kind: str) -> dict[str, dict]:
    return {name: resource for name, resource in template["Resources"].items()
            if resource.get("Type") == kind}


def statements(template: dict) -> list[dict]:
    return [statement
            for role in resources_of_type(template, "AWS::IAM::Role").values()
            for policy in role["Properties"].get("Policies", [])
            for statement in policy["PolicyDocument"]["Statement"]]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_every_registered_model_has_an_on_demand_table_with_its_indexes_and_ttl(template):
    tables = {t["Properties"]["TableName"]: t["Properties"]
              for t in resources_of_type(template, "AWS::DynamoDB::Table").values()}
    assert len(tables) == len(MODELS)
    for model in MODELS:
        table = tables[PROD_ENV["TABLE_PREFIX"] + vars(model.Meta)["table_name"].name]
        assert table["BillingMode"] == "PAY_PER_REQUEST"
        keys = {k["KeyType"]: k["AttributeName"] for k in table["KeySchema"]}
        assert keys == {"HASH": model._hash_keyname,
                        **({"RANGE": model._range_keyname} if model._range_keyname else {})}
        global_indexes = {name for name, index in model._indexes.items()
                          if isinstance(index, GlobalSecondaryIndex)}
        local_indexes = {name for name, index in model._indexes.items()
                         if isinstance(index, LocalSecondaryIndex)}
        assert {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])} == global_indexes
        assert {i["IndexName"] for i in table.get("LocalSecondaryIndexes", [])} == local_indexes
        ttl = [a.attr_name for a in model.get_attributes().values() if isinstance(a, TTLAttribute)]
        if ttl:
            assert table["TimeToLiveSpecification"] == {"AttributeName": ttl[0], "Enabled": True}
        else:
            assert "TimeToLiveSpecification" not in table


def test_every_schedule_of_the_app_has_its_rule(template):
    schedules = {event["Properties"]["Schedule"]
                 for function in resources_of_type(template, "AWS::Serverless::Function").values()
                 for event in function["Properties"].get("Events", {}).values()
                 if event["Type"] == "Schedule"}
    expected = {source.schedule_expression.to_string() for source in app.event_sources
                if isinstance(source, ScheduledEventConfig)}
    assert expected and expected <= schedules


def test_policy_grants_no_wildcard_actions_and_only_the_stage_tables(template):
    found = statements(template)
    assert found
    for statement in found:
        for action in as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), statement
        actions = as_list(statement["Action"])
        if any(action.startswith("dynamodb:") for action in actions):
            for resource in as_list(statement["Resource"]):
                assert resource.startswith("arn:aws:dynamodb:*:*:table/kinlink-prod-"), resource
        if "ses:SendEmail" in actions:
            assert statement["Condition"]["StringEquals"]["ses:FromAddress"] == \
                PROD_ENV["EMAIL_SENDER"]
        if "Resource" in statement:
            assert statement["Resource"] != "*", statement


def test_every_function_gets_the_secret_key_arn_and_the_totp_key(template):
    functions = resources_of_type(template, "AWS::Serverless::Function")
    # the API function, the sign-in function (scripts/cfn_edge.py) and one per event source
    assert {"APIHandler", "SignInHandler"} <= set(functions)
    assert len(functions) == 2 + len(app.event_sources)
    for function in functions.values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert "SECRET_KEY" not in variables
        assert variables["SECRET_KEY_ARN"] == {"Ref": "AppSecret"}
        assert variables["KMS_KEY_ID"] == {"Ref": "TotpKey"}
        assert variables["TABLE_PREFIX"] == PROD_ENV["TABLE_PREFIX"]


def test_api_stage_is_throttled_and_gateway_errors_are_problems(template):
    api = template["Resources"]["RestAPI"]["Properties"]
    throttle = api["MethodSettings"][0]
    assert throttle["ResourcePath"] == "/*" and throttle["HttpMethod"] == "*"
    assert {"ThrottlingRateLimit", "ThrottlingBurstLimit"} <= set(throttle)
    responses = api["GatewayResponses"]
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "MISSING_AUTHENTICATION_TOKEN"} <= set(responses)
    for response in responses.values():
        headers = response["ResponseParameters"]["Headers"]
        assert headers["Content-Type"] == "'application/problem+json'"
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert body["status"] == int(response["StatusCode"])
        assert set(body) >= {"type", "title", "status", "detail", "code"}
    unknown_route = json.loads(
        responses["MISSING_AUTHENTICATION_TOKEN"]["ResponseTemplates"]["application/json"])
    assert (unknown_route["status"], unknown_route["code"]) == (404, "not_found")


def test_notification_queue_is_encrypted_short_lived_and_dead_letters_after_a_few_receives(
        template):
    queues = resources_of_type(template, "AWS::SQS::Queue")
    queue = queues["NotificationQueue"]["Properties"]
    dead_letter = queues["NotificationDeadLetterQueue"]["Properties"]
    assert queue["QueueName"] == PROD_ENV["NOTIFICATION_QUEUE"]
    for properties in (queue, dead_letter):
        assert properties["SqsManagedSseEnabled"] is True
        assert properties["MessageRetentionPeriod"] <= 24 * 60 * 60
    assert queue["MessageRetentionPeriod"] <= 60 * 60  # its messages carry live codes
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["NotificationDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 3}
    assert queue["VisibilityTimeout"] >= 6 * json.loads(
        (ROOT / ".chalice" / "config.json").read_text())["lambda_timeout"]


def test_the_worker_lambda_consumes_the_queue_and_reports_failures_one_by_one(template):
    worker = resources_of_type(template, "AWS::Serverless::Function")["DeliverNotifications"]
    [event] = worker["Properties"]["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}"
                                                       f":${{AWS::AccountId}}:{PROD_ENV['NOTIFICATION_QUEUE']}"}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "NotificationQueue" in worker["DependsOn"]  # the mapping needs the queue first
    assert worker["Properties"]["Handler"] == "app.deliver_notifications"


def test_only_the_worker_sends_and_the_other_functions_only_queue(template):
    """The API and the reminders job put messages on the notification queue; only the worker
    (its own role) reads the queue and reaches SES and SNS; nobody touches the dead letters."""
    queue_arn = f"arn:aws:sqs:*:*:{PROD_ENV['NOTIFICATION_QUEUE']}"
    functions = resources_of_type(template, "AWS::Serverless::Function")
    roles = resources_of_type(template, "AWS::IAM::Role")
    for name, function in functions.items():
        role_name = function["Properties"]["Role"]["Fn::GetAtt"][0]
        found = [statement for policy in roles[role_name]["Properties"]["Policies"]
                 for statement in policy["PolicyDocument"]["Statement"]]
        actions = {action for s in found for action in as_list(s["Action"])}
        sqs = [s for s in found if any(a.startswith("sqs:") for a in as_list(s["Action"]))]
        for statement in sqs:
            assert as_list(statement["Resource"]) == [queue_arn], name
        if name == "DeliverNotifications":
            assert {a for a in actions if a.startswith("sqs:")} == {
                "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
            assert {"ses:SendEmail", "sns:Publish"} <= actions
            assert not any(a.startswith(("dynamodb:", "kms:", "secretsmanager:"))
                           for a in actions)
        else:
            assert not {"ses:SendEmail", "sns:Publish"} & actions, name
            assert {a for a in actions if a.startswith("sqs:")} in (
                set(), {"sqs:GetQueueUrl", "sqs:SendMessage"}), name
    assert "sqs:SendMessage" in {a for s in statements(template) for a in as_list(s["Action"])}


def lint(template: dict, path: Path) -> list:
    from cfnlint.api import lint_file

    path.write_text(json.dumps(template))
    return [match for match in lint_file(path) if match.rule.id not in ACCEPTED_LINT_RULES]


def test_template_passes_cfn_lint(template, tmp_path):
    assert [str(match) for match in lint(template, tmp_path / "sam.json")] == []


def test_sam_transform_accepts_the_template_and_its_output_passes_cfn_lint(template, tmp_path):
    """What CloudFormation runs is the transformed template: translate it offline and lint it."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self) -> dict:
            return {}

    deployable = json.loads(json.dumps(template))
    for function in resources_of_type(deployable, "AWS::Serverless::Function").values():
        # `aws cloudformation package` does this
        function["Properties"]["CodeUri"] = "s3://bucket/deployment.zip"
    transformed = transform(deployable, {}, NoManagedPolicies())
    stages = resources_of_type(transformed, "AWS::ApiGateway::Stage")
    assert all(stage["Properties"]["MethodSettings"] for stage in stages.values())
    assert [str(match) for match in lint(transformed, tmp_path / "transformed.json")] == []
