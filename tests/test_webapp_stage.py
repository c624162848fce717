"""The web app's CSP as a function of the stage (docs/decisions/webapp.md): exactly the media
bucket's origin for photos, Stripe's origins only where the stage has a publishable key, the same
policy in ``make run`` and in the template; the presigned URLs naming that very origin; the
local bucket's CORS for the app; the facility's time zone in the directory."""
from __future__ import annotations

import json
import re
import sys

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import cfn_webapp  # noqa: E402
import webapp_files  # noqa: E402

MEDIA = "https://kinlink-prod-media-123.s3.us-west-2.amazonaws.com"
STRIPE_ORIGINS = {"https://js.stripe.com", "https://api.stripe.com"}


def directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split("; "))}


def test_the_policy_adds_exactly_the_media_bucket_and_stripe_only_when_asked():
    plain = directives(webapp_files.content_security_policy(MEDIA))
    assert plain["connect-src"] == ["'self'", MEDIA]
    assert plain["img-src"] == ["'self'", "data:", "blob:", MEDIA]
    assert plain["media-src"] == ["'self'", "blob:", MEDIA]
    assert plain["script-src"] == ["'self'"] and "frame-src" not in plain
    assert plain["default-src"] == ["'none'"] and plain["frame-ancestors"] == ["'none'"]
    assert not STRIPE_ORIGINS & {value for values in plain.values() for value in values}

    stripe = directives(webapp_files.content_security_policy(MEDIA, stripe=True))
    assert stripe["script-src"] == ["'self'", "https://js.stripe.com"]
    assert stripe["frame-src"] == ["https://js.stripe.com", "https://hooks.stripe.com"]
    assert stripe["connect-src"] == ["'self'", MEDIA, "https://api.stripe.com"]
    added = {(name, value) for name, values in stripe.items() for value in values} - {
        (name, value) for name, values in plain.items() for value in values}
    assert added == {("script-src", "https://js.stripe.com"), ("frame-src", "https://js.stripe.com"),
                     ("frame-src", "https://hooks.stripe.com"),  # 3-D Secure's challenge
                     ("connect-src", "https://api.stripe.com")}


def test_chimes_meeting_endpoints_only_where_video_visits_run_on_chime():
    plain = directives(webapp_files.content_security_policy(MEDIA))
    chime = directives(webapp_files.content_security_policy(MEDIA, chime=True))
    added = {(name, value) for name, values in chime.items() for value in values} - {
        (name, value) for name, values in plain.items() for value in values}
    assert added == {("connect-src", "https://*.chime.aws"), ("connect-src", "wss://*.chime.aws")}
    assert not any("chime" in value for values in plain.values() for value in values)
    template = cfn_webapp.headers_policy({})["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    assert "wss://*.chime.aws" in directives(template)["connect-src"]  # prod: Chime by default
    local = cfn_webapp.headers_policy({"VIDEO_ROOMS": "local"})["Properties"][
        "ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"][
        "ContentSecurityPolicy"]["Fn::Sub"]
    assert "chime" not in local


@pytest.fixture
def stage_env(monkeypatch):
    from chalicelib.config import reset_settings

    def use(**variables):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        reset_settings()

    yield use
    monkeypatch.undo()
    reset_settings()


def test_make_run_serves_stripe_and_its_key_only_for_a_stripe_stage_with_a_key(stage_env):
    stage_env(AWS_ENDPOINT_URL="http://127.0.0.1:4566")
    status, headers, body = webapp_files.response("/app/stage.json")
    assert status == 200 and json.loads(body) == {"stripe_publishable_key": ""}
    policy = directives(headers["Content-Security-Policy"])
    assert policy["connect-src"] == ["'self'", "http://127.0.0.1:4566"]  # the emulator's origin
    assert "frame-src" not in policy

    stage_env(PAYMENT_PROCESSOR="stripe", STRIPE_SECRET_KEY="sk_test_x",
              STRIPE_WEBHOOK_SECRET="whsec_x", STRIPE_PUBLISHABLE_KEY="pk_test_123")
    status, headers, body = webapp_files.response("/app/stage.json")
    assert json.loads(body) == {"stripe_publishable_key": "pk_test_123"}
    policy = directives(webapp_files.response("/app/", "gzip")[1]["Content-Security-Policy"])
    assert policy["frame-src"] == ["https://js.stripe.com", "https://hooks.stripe.com"]
    assert "https://api.stripe.com" in policy["connect-src"]

    stage_env(PAYMENT_PROCESSOR="test")  # a key left behind on a test-processor stage: unused
    assert json.loads(webapp_files.response("/app/stage.json")[2]) == {"stripe_publishable_key": ""}


def test_without_an_emulator_the_media_origin_is_the_buckets_regional_one(stage_env, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    stage_env(MEDIA_BUCKET="kinlink-prod-media-42", AWS_DEFAULT_REGION="us-west-2")
    assert webapp_files.local_media_origin() == "https://kinlink-prod-media-42.s3.us-west-2.amazonaws.com"


def test_the_template_names_the_media_bucket_and_stripe_per_stage():
    without = cfn_webapp.resources({"/v1/health": {}}, {"PAYMENT_PROCESSOR": "stripe"})
    policy = without["AppHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    assert "https://${MediaBucket}.s3.${AWS::Region}.amazonaws.com" in directives(policy)["connect-src"]
    assert "stripe" not in policy and "wss://*.chime.aws" in policy
    assert '\\"stripe_publishable_key\\": \\"\\"' in without["AppStageFunction"]["Properties"]["FunctionCode"]

    keyed = cfn_webapp.resources({"/v1/health": {}}, {"STRIPE_PUBLISHABLE_KEY": "pk_live_abc"})
    policy = keyed["AppHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    assert policy == webapp_files.content_security_policy(cfn_webapp.MEDIA_ORIGIN, stripe=True,
                                                          chime=True)
    code = keyed["AppStageFunction"]["Properties"]["FunctionCode"]
    assert "pk_live_abc" in code and re.search(r"statusCode: 200", code)
    assert keyed["AppStageFunction"]["Properties"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"

    test_stage = cfn_webapp.resources({}, {"PAYMENT_PROCESSOR": "test", "STRIPE_PUBLISHABLE_KEY": "pk"})
    assert "pk" not in test_stage["AppStageFunction"]["Properties"]["FunctionCode"].split("data:")[1]


def test_presigned_urls_name_the_regional_bucket_origin_the_policy_allows(aws_state):
    from chalicelib.config import get_settings
    from chalicelib.core import aws
    from chalicelib.media import objects

    aws.reset_clients()
    try:
        slot = objects.upload_slot("att_x", "image/png", 1000, 60)
        view = objects.viewing_urls("att_x", 60)
    finally:
        aws.reset_clients()
    origin = webapp_files.MEDIA_ORIGIN_IN_AWS.format(bucket=get_settings().media_bucket,
                                                     region="us-east-1")
    assert slot["url"] == origin + "/"
    assert view["url"].startswith(origin + "/media/att_x?")
    assert view["thumbnail_url"].startswith(origin + "/thumbs/att_x?")


def test_the_local_bucket_lets_the_app_post_and_read_from_its_origin(api):
    from chalicelib.config import get_settings
    from chalicelib.core import aws
    from chalicelib.media import ensure_bucket

    ensure_bucket()
    rules = aws.client("s3").get_bucket_cors(Bucket=get_settings().media_bucket)["CORSRules"]
    assert rules == [{"AllowedOrigins": ["https://family.kinlink.test"], "AllowedMethods": ["POST", "GET"],
                      "AllowedHeaders": ["*"], "MaxAgeSeconds": 3000}]


def test_the_directory_gives_each_facilitys_time_zone(api):
    from chalicelib.facilities.seed import seed_demo_facility

    seed_demo_facility()
    answer = api.get("/v1/facilities")
    assert answer.status_code == 200
    [demo] = [item for item in answer.json["items"] if item["facility_id"] == "demo-county"]
    assert demo["timezone"] == "America/New_York"


def test_make_package_warns_when_a_stripe_stage_gives_the_app_no_key():
    assert "STRIPE_PUBLISHABLE_KEY" in cfn_webapp.stripe_key_warning({"PAYMENT_PROCESSOR": "stripe"})
    assert cfn_webapp.stripe_key_warning({"STRIPE_PUBLISHABLE_KEY": "pk_live_x"}) is None
    assert cfn_webapp.stripe_key_warning({"PAYMENT_PROCESSOR": "test"}) is None
