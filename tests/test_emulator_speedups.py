"""The emulator speed-ups (tests/emulator_speedups.py) answer exactly what moto answers.

Every value the response serializer picks during a real flow (a family signs up, verifies, signs
in, buys stamps, deposits; staff read the facility) and during DynamoDB calls carrying every
attribute type is picked twice, remembered and by moto's own search, and must be the same.
"""
from __future__ import annotations

import boto3
import pytest
from moto.core import serialize

from tests import emulator_speedups
from tests.money_fixtures import card, deposit_body, facilities, post_deposit  # noqa: F401


@pytest.fixture
def compared(monkeypatch):
    """Route the serializer through both pickers; returns the list of disagreements."""
    seen = {"values": 0, "mismatches": []}

    def both(self, value, key, shape):
        fast = emulator_speedups.get_value(self, value, key, shape)
        slow = emulator_speedups._ORIGINAL_GET_VALUE(self, value, key, shape)
        seen["values"] += 1
        if fast != slow or type(fast) is not type(slow):
            seen["mismatches"].append((".".join(self.path), key, fast, slow))
        return slow

    monkeypatch.setattr(serialize.ResponseSerializer, "get_value", both)
    return seen


def test_a_money_flow_serializes_identically(api, make_family, facilities, card, compared):
    _, _, tokens = make_family()
    token = tokens["access_token"]
    assert api.post("/v1/stamps/purchase", {"facility_id": "demo-county", "quantity": 3,
                                            "payment_method_token": "tok_visa"}, token=token,
                    headers={"Idempotency-Key": "speedups-1"}).status_code == 201
    assert post_deposit(api, token, deposit_body()).status_code == 201
    assert api.get("/v1/deposits", token=token).status_code == 200
    assert api.get("/v1/facilities").status_code == 200
    assert compared["values"] > 1000
    assert compared["mismatches"] == []


def test_every_attribute_type_serializes_identically(aws_state, compared):
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(TableName="speedups", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    item = {"pk": {"S": "a"}, "n": {"N": "1.5"}, "b": {"B": b"\x00\xff"}, "t": {"BOOL": False},
            "z": {"NULL": True}, "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2"]},
            "bs": {"BS": [b"1"]}, "l": {"L": [{"S": ""}, {"M": {}}, {"N": "0"}]},
            "m": {"M": {"deep": {"M": {"list": {"L": [{"BOOL": True}]}}}}}}
    try:
        client.put_item(TableName="speedups", Item=item)
        assert client.get_item(TableName="speedups", Key={"pk": {"S": "a"}})["Item"] == item
        updated = client.update_item(TableName="speedups", Key={"pk": {"S": "a"}},
                                     UpdateExpression="SET n = :n", ReturnValues="ALL_NEW",
                                     ExpressionAttributeValues={":n": {"N": "2"}})
        assert updated["Attributes"]["n"] == {"N": "2"}
        assert client.query(TableName="speedups", KeyConditionExpression="pk = :a",
                            ExpressionAttributeValues={":a": {"S": "a"}})["Count"] == 1
        assert client.describe_table(TableName="speedups")["Table"]["TableName"] == "speedups"
        client.transact_get_items(TransactItems=[{"Get": {"TableName": "speedups",
                                                          "Key": {"pk": {"S": "a"}}}}])
    finally:
        client.delete_table(TableName="speedups")
    assert compared["values"] > 100
    assert compared["mismatches"] == []
