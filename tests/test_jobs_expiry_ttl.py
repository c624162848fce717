"""Issue 13 finding 4: no clean-up job and no expiry index; DynamoDB TTL deletes expired items
(switched on for every expiring table, in the template and locally) and expiry is enforced on
every read."""
from __future__ import annotations

import boto3

from chalicelib.core import clock
from chalicelib.core.store import MODELS, ExpiringModel
from scripts.cfn_resources import table_resource

HOUR = 3600


def _expiring() -> list[type[ExpiringModel]]:
    return [model for model in MODELS if issubclass(model, ExpiringModel)]


def test_every_expiring_table_has_ttl_in_the_template_and_no_expiry_index():
    assert len(_expiring()) >= 9
    for model in MODELS:
        properties = table_resource(model, "kinlink-prod-")["Properties"]
        indexes = [index["IndexName"] for index in properties.get("GlobalSecondaryIndexes", [])]
        assert "by_expiry" not in indexes, model
        if issubclass(model, ExpiringModel):
            assert properties["TimeToLiveSpecification"] == {"AttributeName": "ttl",
                                                             "Enabled": True}, model


def test_ttl_is_on_locally_for_every_expiring_table(api):
    client = boto3.client("dynamodb")
    for model in _expiring():
        described = client.describe_time_to_live(TableName=model.Meta.table_name)
        assert described["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED",
                                                      "AttributeName": "ttl"}, model


def test_set_expiry_writes_the_ttl_and_no_bucket():
    from chalicelib.accounts.store import LoginThrottle

    record = LoginThrottle("someone", failures=1)
    record.set_expiry(1_800_000_000.7)
    assert record.expires_at == 1_800_000_000
    assert int(record.ttl.timestamp()) == 1_800_000_000
    assert "expiry_bucket" not in record.get_attributes()


def test_no_scheduled_clean_up():
    from app import app

    names = {handler for handler in app.handler_map}
    assert "clean_up_expired_records" not in names
    assert "send_password_reminders" in names


def test_expiry_is_enforced_on_read_before_ttl_deletes(api, make_family):
    _, _, tokens = make_family()
    clock.advance(12 * HOUR + 1)  # past the absolute session lifetime; the item is still there
    assert api.get("/v1/account", token=tokens["access_token"]).status_code == 401
    assert api.post("/v1/auth/refresh",
                    {"refresh_token": tokens["refresh_token"]}).status_code == 401
