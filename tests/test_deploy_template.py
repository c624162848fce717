"""What the README "Deploy" recipe relies on in the packaged prod template (issue 12 item 5):
the secret key created once and kept, alarms on 5xx and on the dead-letter queue that publish to
an SNS topic, the optional custom domain, and stage config with no stray placeholder."""
from __future__ import annotations

import json
from pathlib import Path

from tests.test_package import resources_of_type

ROOT = Path(__file__).resolve().parents[1]
PROD = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]


def test_secret_key_is_generated_once_by_the_template_and_kept(template):
    secret = template["Resources"]["AppSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["DeletionPolicy"] == secret["UpdateReplacePolicy"] == "Retain"
    properties = secret["Properties"]
    assert properties["GenerateSecretString"]["PasswordLength"] >= 32
    assert "SecretString" not in properties  # AWS generates it: in no template or parameter
    # Nothing that changes per deploy feeds it, so an update never replaces or regenerates it.
    assert "Ref" not in json.dumps(properties) and "Fn::" not in json.dumps(properties)
    assert not {"AppSecretKey", "SecretKey"} & set(template.get("Parameters", {}))
    for function in resources_of_type(template, "AWS::Serverless::Function").values():
        assert function["Properties"]["Environment"]["Variables"]["SECRET_KEY_ARN"] == \
            {"Ref": "AppSecret"}


def _alarms(template) -> dict[str, dict]:
    return {alarm["Properties"]["MetricName"]: alarm["Properties"]
            for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
            if "MetricName" in alarm["Properties"]}  # not the metric-math ones


def test_alarms_on_api_5xx_and_on_the_dead_letter_queue_publish_to_the_alarm_topic(template):
    [topic_id] = resources_of_type(template, "AWS::SNS::Topic")
    alarms = _alarms(template)
    api = alarms["5XXError"]
    assert api["Namespace"] == "AWS/ApiGateway"
    api_name = template["Resources"]["RestAPI"]["Properties"]["Name"]
    assert {(d["Name"], d["Value"]) for d in api["Dimensions"]} == {
        ("ApiName", api_name), ("Stage", PROD["api_gateway_stage"])}
    assert api["Threshold"] == {"Ref": "Api5xxAlarmThreshold"}
    dead_letter = alarms["ApproximateNumberOfMessagesVisible"]
    assert dead_letter["Namespace"] == "AWS/SQS"
    assert dead_letter["Dimensions"] == [{"Name": "QueueName", "Value": {
        "Fn::GetAtt": ["NotificationDeadLetterQueue", "QueueName"]}}]
    assert (dead_letter["Threshold"], dead_letter["ComparisonOperator"]) == (
        1, "GreaterThanOrEqualToThreshold")
    for alarm in (api, dead_letter):
        assert alarm["AlarmActions"] == alarm["OKActions"] == [{"Ref": topic_id}]
        assert alarm["TreatMissingData"] == "notBreaching"
    [subscription] = resources_of_type(template, "AWS::SNS::Subscription").values()
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""
    assert template["Outputs"]["AlarmTopicArn"]["Value"] == {"Ref": topic_id}


def test_the_custom_domain_maps_the_stage_at_the_root_when_asked_for(template):
    domain = template["Resources"]["ApiDomain"]
    mapping = template["Resources"]["ApiBasePathMapping"]
    assert domain["Condition"] == mapping["Condition"] == "HasApiDomain"
    assert domain["Properties"]["SecurityPolicy"] == "TLS_1_2"
    assert domain["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert "BasePath" not in mapping["Properties"]  # paths have no /api prefix there
    assert mapping["Properties"]["RestApiId"] == {"Ref": "RestAPI"}
    for parameter in ("ApiDomainName", "ApiCertificateArn"):
        assert template["Parameters"][parameter]["Default"] == ""


def test_prod_links_cors_and_sender_follow_one_domain():
    """The prod stage's addresses are placeholders of one domain that the recipe replaces
    together: the API, the app, the CORS origin and the sender, and the sender policy."""
    variables = PROD["environment_variables"]
    domain = variables["PUBLIC_APP_URL"].split("//", 1)[1].split("/", 1)[0].split(".", 1)[1]
    assert variables["PUBLIC_BASE_URL"].startswith("https://")
    assert variables["PUBLIC_APP_URL"].startswith("https://") and \
        variables["PUBLIC_APP_URL"].endswith("/")
    assert variables["CORS_ALLOW_ORIGIN"] == variables["PUBLIC_APP_URL"].rstrip("/")
    assert variables["EMAIL_SENDER"].endswith("@" + domain)
    assert domain in variables["PUBLIC_BASE_URL"]
    policy = (ROOT / ".chalice" / "policy-prod-notifications.json").read_text()
    assert f'"ses:FromAddress": "{variables["EMAIL_SENDER"]}"' in policy


def test_packaging_warns_while_prod_names_the_placeholder_domain():
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from cfn_resources import placeholder_warning

    warning = placeholder_warning({"PUBLIC_BASE_URL": "https://api.kinlink.example",
                                   "EMAIL_SENDER": "no-reply@kinlink.example", "STAGE": "prod"})
    assert "EMAIL_SENDER, PUBLIC_BASE_URL" in warning and "README" in warning
    assert placeholder_warning({"PUBLIC_BASE_URL": "https://api.example.org"}) is None
