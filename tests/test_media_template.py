"""The media bucket in the deploy template (issue 16): private, encrypted, TLS only, unsent
uploads expired by lifecycle, and the API's role limited to this bucket's objects."""
from __future__ import annotations

import json
from pathlib import Path

from scripts import cfn_resources

ROOT = Path(__file__).resolve().parents[1]


def test_the_bucket_is_private_encrypted_tls_only_and_expires_unsent_uploads_in_a_day():
    resources = cfn_resources.build_template()["Resources"]
    bucket = resources["MediaBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["unprocessed-uploads"]["Prefix"] == "uploads/"
    assert rules["unprocessed-uploads"]["ExpirationInDays"] == 1
    assert rules["unsent-media"]["TagFilters"] == [{"Key": "unsent", "Value": "true"}]
    [deny] = resources["MediaBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}}
    assert resources["APIHandler"]["Properties"]["Environment"]["Variables"][
        "MEDIA_BUCKET"] == {"Ref": "MediaBucket"}


def test_only_the_api_role_reaches_the_bucket_and_only_its_objects():
    chalice = ROOT / ".chalice"
    for path in chalice.glob("policy-prod*.json"):
        statements = json.loads(path.read_text())["Statement"]
        s3 = [s for s in statements if any(a.startswith("s3:") for a in
                                           ([s["Action"]] if isinstance(s["Action"], str)
                                            else s["Action"]))]
        if path.name != "policy-prod.json":
            assert s3 == [], path.name
            continue
        resources = {s["Resource"] for s in s3}
        assert resources == {"arn:aws:s3:::kinlink-prod-media-*/*",
                             "arn:aws:s3:::kinlink-prod-media-*"}
        actions = {a for s in s3 for a in ([s["Action"]] if isinstance(s["Action"], str)
                                           else s["Action"])}
        assert actions == {"s3:PutObject", "s3:PutObjectTagging", "s3:GetObject",
                           "s3:DeleteObject", "s3:DeleteObjectTagging", "s3:ListBucket"}
