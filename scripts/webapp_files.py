"""The family web app's files (``webapp/``) as ``make run`` serves them at ``/app/``.

In AWS the same files sit in S3 behind CloudFront (``scripts/cfn_webapp.py``), which adds the
same headers from ``security_headers`` below: one policy, written once, a function of the stage
(its media bucket's origin, Stripe when the stage has a publishable key; docs/decisions/webapp.md).
Nothing here is packaged into the Lambda.  Only files with a known type are served, never outside
``webapp/``; gzip when the browser accepts it (CloudFront compresses too).  ``/app/stage.json``
tells the app the stage's public settings (in AWS a CloudFront Function answers it).
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
WEBAPP = ROOT / "webapp"
PREFIX = "/app"
STAGE_FILE = "/stage.json"  # the stage's public settings, made per stage (never a file)
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json", ".txt": "text/plain; charset=utf-8",
}
# This origin (and the stylesheet inside index.html, by its hash), plus exactly the stage's media
# bucket (the presigned POST a photo is uploaded with, the presigned GET it is shown from) and,
# where the stage takes cards with Stripe Elements, exactly Stripe's origins (its script, its
# card frame, 3-D Secure's frame, its API) and, where video visits run on Amazon Chime, exactly
# Chime's meeting endpoints (signalling and ingest); no inline script, no eval, nothing framing
# the app, no form posted elsewhere.  Camera and microphone stay allowed for this origin.
STRIPE_SCRIPT_ORIGIN = "https://js.stripe.com"
STRIPE_FRAME_ORIGINS = (STRIPE_SCRIPT_ORIGIN, "https://hooks.stripe.com")
STRIPE_API_ORIGIN = "https://api.stripe.com"
# The Chime SDK's meeting traffic (its CSP guide also lists *.amazonaws.com, for messaging, and
# *.sdkassets.chime.aws, for Voice Focus: neither is used here).
CHIME_ORIGINS = ("https://*.chime.aws", "wss://*.chime.aws")
# In AWS the presigned URLs name the bucket's regional virtual-hosted origin
# (chalicelib/core/aws.py asks botocore for exactly that); the template fills both names in.
MEDIA_ORIGIN_IN_AWS = "https://{bucket}.s3.{region}.amazonaws.com"


STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.S)


def inline_style_hashes() -> list[str]:
    """CSP sources for the ``<style>`` blocks of index.html (the app's stylesheet lives there:
    one round trip less before the first paint), by their SHA-256."""
    html = (WEBAPP / "index.html").read_text(encoding="utf-8")
    return [f"'sha256-{base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()}'"
            for block in STYLE_BLOCK.findall(html)]


def content_security_policy(media_origin: str, stripe: bool = False, chime: bool = False) -> str:
    scripts = ["'self'"] + ([STRIPE_SCRIPT_ORIGIN] if stripe else [])
    styles = ["'self'", *inline_style_hashes()]
    connect = ["'self'", media_origin] + ([STRIPE_API_ORIGIN] if stripe else []) + \
        (list(CHIME_ORIGINS) if chime else [])
    frames = [f"frame-src {' '.join(STRIPE_FRAME_ORIGINS)}; "] if stripe else []
    return (f"default-src 'none'; script-src {' '.join(scripts)}; style-src {' '.join(styles)}; "
            f"img-src 'self' data: blob: {media_origin}; media-src 'self' blob: {media_origin}; "
            f"connect-src {' '.join(connect)}; {''.join(frames)}manifest-src 'self'; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def security_headers(media_origin: str, stripe: bool = False, chime: bool = False) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(media_origin, stripe, chime),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
        "Permissions-Policy": "camera=(self), microphone=(self), geolocation=(), payment=()",
    }


def stage_public_settings() -> dict[str, str]:
    """What the running stage (``make run``, the live tests) tells the app: its Stripe
    publishable key (empty: the test processor's tokens)."""
    from chalicelib.config import get_settings

    settings = get_settings()
    key = settings.stripe_publishable_key if settings.card_processor == "stripe" else ""
    return {"stripe_publishable_key": key}


def local_media_origin() -> str:
    """The running stage's media bucket origin: the emulator's (path-style URLs), else AWS's."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint)
        return f"{parts.scheme}://{parts.netloc}"
    from chalicelib.config import get_settings

    return MEDIA_ORIGIN_IN_AWS.format(bucket=get_settings().media_bucket,
                                      region=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))


def local_headers() -> dict[str, str]:
    from chalicelib.config import get_settings

    return security_headers(local_media_origin(),
                            stripe=bool(stage_public_settings()["stripe_publishable_key"]),
                            chime=get_settings().video_rooms == "chime")


# No build step means no hashed file names: the browser revalidates every file (cheap locally;
# CloudFront answers 304 from its cache).
CACHE_CONTROL = "no-cache"


def app_file(url_path: str) -> Path | None:
    """The file a ``/app/...`` path names, or ``None`` (unknown type, hidden, outside)."""
    relative = url_path[len(PREFIX):].lstrip("/") or "index.html"
    target = (WEBAPP / relative).resolve()
    if (not target.is_relative_to(WEBAPP.resolve()) or not target.is_file()
            or target.suffix not in CONTENT_TYPES
            or any(part.startswith(".") for part in target.relative_to(WEBAPP.resolve()).parts)):
        return None
    return target


def response(url_path: str, accept_encoding: str = "") -> tuple[int, dict[str, str], bytes] | None:
    """``(status, headers, body)`` for a GET of ``url_path``, or ``None`` when it is not the
    app's (the API answers it)."""
    path = url_path.split("?", 1)[0].split("#", 1)[0]
    if path != PREFIX and not path.startswith(PREFIX + "/"):
        return None
    security = local_headers()
    if path == PREFIX:
        return 308, {"Location": PREFIX + "/", **security}, b""
    if path == PREFIX + STAGE_FILE:
        return (200, {"Content-Type": "application/json", "Cache-Control": CACHE_CONTROL,
                      **security}, json.dumps(stage_public_settings()).encode())
    target = app_file(path)
    if target is None:
        return (404, {"Content-Type": "text/plain; charset=utf-8", **security},
                b"Not found.\n")
    body = target.read_bytes()
    headers = {"Content-Type": CONTENT_TYPES[target.suffix], "Cache-Control": CACHE_CONTROL,
               "Vary": "Accept-Encoding", **security}
    if "gzip" in accept_encoding and target.suffix != ".png":
        body = gzip.compress(body, 6)
        headers["Content-Encoding"] = "gzip"
    return 200, headers, body
