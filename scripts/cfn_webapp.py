"""The family web app in the prod template: its files in a private S3 bucket, served by one
CloudFront distribution that also forwards the API's paths to API Gateway, so the app and the
API share one origin (the app calls ``/v1/...``; its CSP allows only ``'self'``).

* ``AppBucket``: private (public access blocked, objects owned by the bucket, SSE-S3); only the
  distribution may read it (origin access control, the bucket policy names the distribution);
* ``AppHeadersPolicy``: the same security headers ``make run`` sends (``webapp_files``), the
  CSP naming the template's media bucket (``MediaBucket``, regional origin) and Stripe's origins
  only when the stage has a Stripe publishable key;
* ``AppStageFunction``: a CloudFront Function answering ``/stage.json`` (the stage's public
  settings: the Stripe publishable key), which ``make run`` makes from the same settings;
* ``AppDistribution``: HTTPS only; the files cached and compressed; every top-level path of the
  Chalice app (``/v1/*``, the emailed links' pages, ``/docs``) passed to the API uncached, with
  every viewer header but Host;
* ``AppDomainName`` / ``AppCertificateArn`` (ACM, us-east-1): the app's own name, when given.

Upload: ``aws s3 sync webapp/ s3://<AppBucketName>/ --delete`` (README "Family web app").
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import webapp_files  # noqa: E402

from chalicelib.web.endpoint import EDGE_HEADER  # noqa: E402

# AWS-managed CloudFront policies (their ids are fixed and documented by AWS).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
FILES_ORIGIN = "app-files"
API_ORIGIN = "api"
API_STAGE_PATH = "/api"  # .chalice/config.json api_gateway_stage

PARAMETERS = {
    "AppDomainName": {"Type": "String", "Default": "",
                      "Description": "The web app's own domain (app.example.org), which also "
                                     "serves the API's paths; empty: the CloudFront name only"},
    "AppCertificateArn": {"Type": "String", "Default": "",
                          "Description": "ACM certificate for AppDomainName, in us-east-1 "
                                         "(CloudFront's region)"},
}
CONDITIONS = {
    "HasAppDomain": {"Fn::And": [
        {"Fn::Not": [{"Fn::Equals": [{"Ref": "AppDomainName"}, ""]}]},
        {"Fn::Not": [{"Fn::Equals": [{"Ref": "AppCertificateArn"}, ""]}]}]},
}


def api_path_patterns(routes) -> list[str]:
    """CloudFront path patterns for every top-level path the Chalice app serves."""
    tops = sorted({path.strip("/").split("/")[0] for path in routes if path.strip("/")})
    return [pattern for top in tops for pattern in (f"/{top}", f"/{top}/*")]


MEDIA_ORIGIN = webapp_files.MEDIA_ORIGIN_IN_AWS.format(bucket="${MediaBucket}",
                                                       region="${AWS::Region}")


def stage_settings(environment: dict[str, str]) -> dict[str, str]:
    """The app's ``stage.json`` for this stage (``webapp_files.stage_public_settings``'s shape)."""
    stripe = environment.get("PAYMENT_PROCESSOR", "stripe") == "stripe"
    return {"stripe_publishable_key": environment.get("STRIPE_PUBLISHABLE_KEY", "") if stripe else ""}


def stripe_key_warning(environment: dict[str, str]) -> str | None:
    """A sentence for ``make package`` when the stage takes cards with Stripe but the app has
    no publishable key (it would offer test tokens, which Stripe refuses)."""
    if environment.get("PAYMENT_PROCESSOR", "stripe") != "stripe" or environment.get(
            "STRIPE_PUBLISHABLE_KEY"):
        return None
    return ("warning: the prod stage takes cards with Stripe but sets no STRIPE_PUBLISHABLE_KEY: "
            "the web app cannot show Stripe Elements (README \"Family web app\")")


def headers_policy(environment: dict[str, str]) -> dict:
    stripe = bool(stage_settings(environment)["stripe_publishable_key"])
    chime = environment.get("VIDEO_ROOMS", "chime") == "chime"  # the prod stage's default
    headers = webapp_files.security_headers(MEDIA_ORIGIN, stripe, chime)
    max_age = int(headers["Strict-Transport-Security"].split("max-age=")[1].split(";")[0])
    return {
        "Type": "AWS::CloudFront::ResponseHeadersPolicy",
        "Properties": {"ResponseHeadersPolicyConfig": {
            "Name": "kinlink-prod-webapp",
            "SecurityHeadersConfig": {
                "ContentSecurityPolicy": {
                    "ContentSecurityPolicy": {"Fn::Sub": headers["Content-Security-Policy"]},
                    "Override": True},
                "ContentTypeOptions": {"Override": True},
                "FrameOptions": {"FrameOption": headers["X-Frame-Options"], "Override": True},
                "ReferrerPolicy": {"ReferrerPolicy": headers["Referrer-Policy"], "Override": True},
                "StrictTransportSecurity": {"AccessControlMaxAgeSec": max_age,
                                            "IncludeSubdomains": True, "Override": True},
            },
            "CustomHeadersConfig": {"Items": [
                {"Header": "Permissions-Policy", "Value": headers["Permissions-Policy"],
                 "Override": True},
                {"Header": "Cache-Control", "Value": webapp_files.CACHE_CONTROL, "Override": True},
            ]},
        }},
    }


def stage_function(environment: dict[str, str]) -> dict:
    """``GET /stage.json`` answered at the edge from the template's own values (no file to
    upload per stage, no request to the API)."""
    body = json.dumps(json.dumps(stage_settings(environment)))
    code = ("function handler(event) { return {statusCode: 200, statusDescription: 'OK', "
            "headers: {'content-type': {value: 'application/json'}, "
            f"'cache-control': {{value: '{webapp_files.CACHE_CONTROL}'}}}}, "
            f"body: {{encoding: 'text', data: {body}}}}}; }}")
    return {"Type": "AWS::CloudFront::Function", "Properties": {
        "Name": "kinlink-prod-webapp-stage", "AutoPublish": True,
        "FunctionConfig": {"Comment": "The web app's stage.json", "Runtime": "cloudfront-js-2.0"},
        "FunctionCode": code}}


def resources(routes, environment: dict[str, str] | None = None) -> dict:
    environment = environment or {}
    stage_behaviour = {
        "PathPattern": webapp_files.STAGE_FILE, "TargetOriginId": FILES_ORIGIN,
        "ViewerProtocolPolicy": "redirect-to-https", "AllowedMethods": ["GET", "HEAD"],
        "CachedMethods": ["GET", "HEAD"], "CachePolicyId": CACHING_DISABLED,
        "ResponseHeadersPolicyId": {"Ref": "AppHeadersPolicy"},
        "FunctionAssociations": [{"EventType": "viewer-request",
                                  "FunctionARN": {"Fn::GetAtt": ["AppStageFunction", "FunctionARN"]}}]}
    api_behaviours = [{
        "PathPattern": pattern, "TargetOriginId": API_ORIGIN, "ViewerProtocolPolicy": "https-only",
        "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
        "CachedMethods": ["GET", "HEAD"], "CachePolicyId": CACHING_DISABLED,
        "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST, "Compress": True,
    } for pattern in api_path_patterns(routes)]
    return {
        "AppBucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True, "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
                "VersioningConfiguration": {"Status": "Enabled"},
            },
        },
        "AppOriginAccessControl": {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {"OriginAccessControlConfig": {
                "Name": "kinlink-prod-webapp", "OriginAccessControlOriginType": "s3",
                "SigningBehavior": "always", "SigningProtocol": "sigv4"}},
        },
        "AppBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": {"Ref": "AppBucket"}, "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "OnlyTheAppDistributionReads", "Effect": "Allow",
                    "Principal": {"Service": "cloudfront.amazonaws.com"},
                    "Action": "s3:GetObject",
                    "Resource": {"Fn::Sub": "${AppBucket.Arn}/*"},
                    "Condition": {"StringEquals": {"AWS:SourceArn": {"Fn::Sub":
                        "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/"
                        "${AppDistribution}"}}},
                }, {
                    "Sid": "HttpsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [{"Fn::GetAtt": ["AppBucket", "Arn"]},
                                 {"Fn::Sub": "${AppBucket.Arn}/*"}],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }]}},
        },
        "AppHeadersPolicy": headers_policy(environment),
        "AppStageFunction": stage_function(environment),
        "AppDistribution": {
            "Type": "AWS::CloudFront::Distribution",
            "Properties": {"DistributionConfig": {
                "Enabled": True, "Comment": "Kinlink web app and API", "HttpVersion": "http2and3",
                "PriceClass": "PriceClass_100", "IPV6Enabled": True,
                "DefaultRootObject": "index.html",
                "Aliases": {"Fn::If": ["HasAppDomain", [{"Ref": "AppDomainName"}],
                                       {"Ref": "AWS::NoValue"}]},
                "ViewerCertificate": {"Fn::If": [
                    "HasAppDomain",
                    {"AcmCertificateArn": {"Ref": "AppCertificateArn"}, "SslSupportMethod": "sni-only",
                     "MinimumProtocolVersion": "TLSv1.2_2021"},
                    {"CloudFrontDefaultCertificate": True}]},
                "Origins": [
                    {"Id": FILES_ORIGIN,
                     "DomainName": {"Fn::GetAtt": ["AppBucket", "RegionalDomainName"]},
                     "OriginAccessControlId": {"Fn::GetAtt": ["AppOriginAccessControl", "Id"]},
                     "S3OriginConfig": {"OriginAccessIdentity": ""}},
                    {"Id": API_ORIGIN,
                     "DomainName": {"Fn::Sub": "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"},
                     "OriginPath": API_STAGE_PATH,
                     # Proves to the API and its WAF that a request came through here, so
                     # they count its viewer's address (chalicelib/web/endpoint.py).
                     "OriginCustomHeaders": [{
                         "HeaderName": EDGE_HEADER,
                         "HeaderValue": {"Fn::Sub": "{{resolve:secretsmanager:${EdgeOriginSecret}}}"}}],
                     "CustomOriginConfig": {"OriginProtocolPolicy": "https-only",
                                            "OriginSSLProtocols": ["TLSv1.2"]}},
                ],
                "DefaultCacheBehavior": {
                    "TargetOriginId": FILES_ORIGIN, "ViewerProtocolPolicy": "redirect-to-https",
                    "AllowedMethods": ["GET", "HEAD"], "CachedMethods": ["GET", "HEAD"],
                    "CachePolicyId": CACHING_OPTIMIZED, "Compress": True,
                    "ResponseHeadersPolicyId": {"Ref": "AppHeadersPolicy"}},
                "CacheBehaviors": [stage_behaviour, *api_behaviours],
            }},
        },
    }


OUTPUTS = {
    "AppBucketName": {"Description": "Upload webapp/ here (aws s3 sync webapp/ s3://NAME/ --delete)",
                      "Value": {"Ref": "AppBucket"}},
    "AppDistributionDomain": {"Description": "Point AppDomainName here (CNAME, or a Route 53 alias)",
                              "Value": {"Fn::GetAtt": ["AppDistribution", "DomainName"]}},
}


def add_to(template: dict, routes, environment: dict[str, str] | None = None) -> dict:
    """``template`` (cfn_resources.build_template's) with the web app's resources added, for the
    stage whose variables are ``environment``."""
    template["Parameters"].update(PARAMETERS)
    template["Conditions"].update(CONDITIONS)
    template["Resources"].update(resources(routes, environment))
    template["Outputs"].update(OUTPUTS)
    return template
