"""The media bucket: presigned upload slots and viewing URLs, and the few object operations
processing needs.  Keys: ``uploads/<id>`` (the original, deleted once processed, and expired
by the bucket's lifecycle after a day when never processed), ``media/<id>`` and
``thumbs/<id>`` (what processing kept; tagged ``unsent`` until a message carries them, and
the lifecycle expires unsent ones after a day too); ``exports/<account>/<id>.json`` (a
family's data export, privacy's, expired after a day).
Why: docs/decisions/media.md
"""
from __future__ import annotations

from chalicelib.config import get_settings
from chalicelib.core import aws

UPLOADS, MEDIA, THUMBS, EXPORTS = "uploads/", "media/", "thumbs/", "exports/"
UNSENT_TAG = "unsent=true"
LIFECYCLE_DAYS = 1


def _s3():
    return aws.client("s3")


def _bucket() -> str:
    return get_settings().media_bucket


def upload_key(attachment_id: str) -> str:
    return UPLOADS + attachment_id


def upload_slot(attachment_id: str, content_type: str, size_bytes: int, seconds: int) -> dict:
    """A presigned POST for exactly one key, this content type, at most ``size_bytes``."""
    post = _s3().generate_presigned_post(
        _bucket(), upload_key(attachment_id), Fields={"Content-Type": content_type},
        Conditions=[["content-length-range", 1, size_bytes], {"Content-Type": content_type}],
        ExpiresIn=seconds)
    return {"url": post["url"], "fields": post["fields"]}


def uploaded_size(attachment_id: str) -> int | None:
    """The uploaded original's size, or None when nothing was uploaded yet."""
    from botocore.exceptions import ClientError

    try:
        return int(_s3().head_object(Bucket=_bucket(), Key=upload_key(attachment_id))
                   ["ContentLength"])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def read_upload(attachment_id: str) -> bytes:
    return _s3().get_object(Bucket=_bucket(), Key=upload_key(attachment_id))["Body"].read()


def keep(attachment_id: str, media: bytes, media_type: str, thumbnail: bytes) -> None:
    """Store what processing kept (tagged unsent), then delete the original."""
    for prefix, body, content_type in ((MEDIA, media, media_type),
                                       (THUMBS, thumbnail, "image/jpeg")):
        _s3().put_object(Bucket=_bucket(), Key=prefix + attachment_id, Body=body,
                         ContentType=content_type, Tagging=UNSENT_TAG)
    delete_upload(attachment_id)


def delete_upload(attachment_id: str) -> None:
    _s3().delete_object(Bucket=_bucket(), Key=upload_key(attachment_id))


def mark_sent(attachment_id: str) -> None:
    """A message carries it now: the unsent lifecycle rule no longer applies."""
    for prefix in (MEDIA, THUMBS):
        _s3().delete_object_tagging(Bucket=_bucket(), Key=prefix + attachment_id)


def delete_all(attachment_id: str) -> None:
    for prefix in (UPLOADS, MEDIA, THUMBS):
        _s3().delete_object(Bucket=_bucket(), Key=prefix + attachment_id)


def viewing_urls(attachment_id: str, seconds: int) -> dict:
    """Presigned GETs of one object each (the media and its thumbnail)."""
    def url(prefix: str) -> str:
        return _s3().generate_presigned_url(
            "get_object", Params={"Bucket": _bucket(), "Key": prefix + attachment_id},
            ExpiresIn=seconds)

    return {"url": url(MEDIA), "thumbnail_url": url(THUMBS)}


def store_export(key: str, document: bytes) -> None:
    """A data export (privacy): private like everything here, gone after a day."""
    _s3().put_object(Bucket=_bucket(), Key=EXPORTS + key, Body=document,
                     ContentType="application/json")


def export_url(key: str, seconds: int) -> str:
    return _s3().generate_presigned_url(
        "get_object", Params={"Bucket": _bucket(), "Key": EXPORTS + key}, ExpiresIn=seconds)


def delete_export(key: str) -> None:
    _s3().delete_object(Bucket=_bucket(), Key=EXPORTS + key)


def ensure_bucket() -> None:
    """The local stand-in of the template's bucket (``make run``, tests): private, encrypted,
    public access blocked, the same lifecycle rules, CORS for the web app's origin (its
    browser posts the upload and reads the answer).  Idempotent."""
    from botocore.exceptions import ClientError

    s3, bucket = _s3(), _bucket()
    try:
        s3.create_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou",
                                                                "BucketAlreadyExists"):
            raise
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK)
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=ENCRYPTION)
    s3.put_bucket_lifecycle_configuration(Bucket=bucket,
                                          LifecycleConfiguration={"Rules": LIFECYCLE_RULES})
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        cors_rule(app_origin(get_settings().public_app_url))]})


def app_origin(app_url: str) -> str:
    """``https://app.example.org`` of ``https://app.example.org/some/path``."""
    scheme, _, rest = app_url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def cors_rule(origin: str) -> dict:
    """The browser's upload (a form POST) and reads, from the web app's origin only."""
    return {"AllowedOrigins": [origin], "AllowedMethods": ["POST", "GET"],
            "AllowedHeaders": ["*"], "MaxAgeSeconds": 3000}


PUBLIC_ACCESS_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                       "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
ENCRYPTION = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                         "BucketKeyEnabled": True}]}
LIFECYCLE_RULES = [
    {"ID": "unprocessed-uploads", "Status": "Enabled", "Filter": {"Prefix": UPLOADS},
     "Expiration": {"Days": LIFECYCLE_DAYS}},
    {"ID": "unsent-media", "Status": "Enabled",
     "Filter": {"Tag": {"Key": "unsent", "Value": "true"}},
     "Expiration": {"Days": LIFECYCLE_DAYS}},
    {"ID": "account-exports", "Status": "Enabled", "Filter": {"Prefix": EXPORTS},
     "Expiration": {"Days": LIFECYCLE_DAYS}},
    {"ID": "abandoned-multipart", "Status": "Enabled", "Filter": {"Prefix": ""},
     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": LIFECYCLE_DAYS}},
]
