"""The few HTML pages the API serves (the pages emailed links open: reset, unlock).

Each page is a ``string.Template`` with its CSS and script inline, allowed by a per-response
CSP nonce; nothing else may load, connect (except back to this origin), frame the page or
follow a form elsewhere, and no referrer leaves it.  Pages never hold a secret: their script
reads the link's token from the address and posts it.
"""
from __future__ import annotations

import string
from pathlib import Path

from chalicelib.core import secrets
from chalicelib.web.endpoint import Reply

HTML = {"type": "string", "x-media-type": "text/html"}


def template(path: Path) -> string.Template:
    return string.Template(path.read_text(encoding="utf-8"))


def page(page_template: string.Template, **values: str) -> Reply:
    """The page with its nonce and ``values`` (already HTML-escaped: the page's words in the
    request's language, for the pages that take them)."""
    nonce = secrets.new_id()
    policy = (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
              "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
    return Reply(200, page_template.substitute(values, nonce=nonce),
                 content_type="text/html; charset=utf-8",
                 headers={"Content-Security-Policy": policy, "Referrer-Policy": "no-referrer",
                          "X-Frame-Options": "DENY", "Cache-Control": "no-store"})
