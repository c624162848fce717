"""The family web app's files (``webapp/``) as ``make run`` serves them at ``/app/``.

In AWS the same files sit in S3 behind CloudFront (``scripts/cfn_webapp.py``), which adds the
same headers from ``SECURITY_HEADERS`` below: one policy, written once.  Nothing here is
packaged into the Lambda.  Only files with a known type are served, never outside ``webapp/``;
gzip when the browser accepts it (CloudFront compresses too).
"""
from __future__ import annotations

import gzip
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEBAPP = ROOT / "webapp"
PREFIX = "/app"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json", ".txt": "text/plain; charset=utf-8",
}
# Only this origin: scripts and styles from files (no inline code, no eval), the API on the
# same origin, nothing framed, no form posted elsewhere.  Camera and microphone stay allowed
# for this origin (video visits).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Permissions-Policy": "camera=(self), microphone=(self), geolocation=(), payment=()",
}
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
    if path == PREFIX:
        return 308, {"Location": PREFIX + "/", **SECURITY_HEADERS}, b""
    target = app_file(path)
    if target is None:
        return (404, {"Content-Type": "text/plain; charset=utf-8", **SECURITY_HEADERS},
                b"Not found.\n")
    body = target.read_bytes()
    headers = {"Content-Type": CONTENT_TYPES[target.suffix], "Cache-Control": CACHE_CONTROL,
               "Vary": "Accept-Encoding", **SECURITY_HEADERS}
    if "gzip" in accept_encoding and target.suffix != ".png":
        body = gzip.compress(body, 6)
        headers["Content-Encoding"] = "gzip"
    return 200, headers, body
