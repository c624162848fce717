"""``GET /docs``: Swagger UI over this API's own OpenAPI document, served by the API itself.

The script and stylesheet come from the swagger-ui-bundle-v2 package (Swagger UI, Apache-2.0),
read from disk on the first request for them (importing the app reads nothing), so the page
needs no CDN and the CSP allows this origin only.  Why: docs/decisions/api-docs.md
"""
from __future__ import annotations

import functools
import html
from pathlib import Path

from chalicelib.core import secrets
from chalicelib.web.endpoint import Reply

# File name -> content type: the only files of the package the API serves (and ships:
# scripts/slim_package.py leaves the others out).
ASSETS = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
          "swagger-ui.css": "text/css; charset=utf-8"}
# The assets change only with a deploy: browsers may keep them an hour.
ASSET_CACHE = "public, max-age=3600"
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kinlink API reference</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="$base/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-spec="$base/v1/openapi.json"></div>
<script src="$base/docs/swagger-ui-bundle.js"></script>
<script nonce="$nonce">
window.ui = SwaggerUIBundle({
  url: document.getElementById("swagger-ui").dataset.spec,
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  tryItOutEnabled: false
});
</script>
</body>
</html>
"""


def page(base_path: str) -> Reply:
    """The page, its links behind the stage prefix ``base_path`` (``/api`` or empty)."""
    nonce = secrets.new_id()
    body = (PAGE.replace("$base", html.escape(base_path, quote=True))
            .replace("$nonce", nonce))
    # Its stylesheet draws a few icons as data: images; it fetches the document (and, with
    # "Try it out", calls the API) on this origin only.  Checked in Chromium: nothing refused.
    policy = (f"default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self'"
              "; img-src data:; connect-src 'self'; base-uri 'none'; "
              "form-action 'none'; frame-ancestors 'none'")
    return Reply(200, body, content_type="text/html; charset=utf-8",
                 headers={"Content-Security-Policy": policy, "Referrer-Policy": "no-referrer",
                          "X-Frame-Options": "DENY", "Cache-Control": "no-store"})


def asset(name: str) -> Reply:
    """One of ``ASSETS``, served as ``/docs/<name>``."""
    return Reply(200, _read(name), content_type=ASSETS[name],
                 headers={"Cache-Control": ASSET_CACHE})


@functools.cache
def _read(name: str) -> str:
    from swagger_ui_bundle import swagger_ui_path  # first use only: nothing at import time

    return (Path(str(swagger_ui_path)) / name).read_text(encoding="utf-8")
