"""The few HTML pages the API serves (the pages emailed links open: reset, unlock, invitation).

Each page is a Jinja2 template (``core.rendering``) in the request's language (``lang``, every
word from the catalogs; its script's sentences come as a JSON data block) with its CSS and
script inline, allowed by a per-response CSP nonce; nothing else may load, connect (except back
to this origin), frame the page or follow a form elsewhere, and no referrer leaves it.  Pages
never hold a secret: their script reads the link's token from the address and posts it.
"""
from __future__ import annotations

from pathlib import Path

from chalicelib.core import i18n, rendering, secrets
from chalicelib.web.endpoint import Reply

HTML = {"type": "string", "x-media-type": "text/html"}


def page(path: Path) -> Reply:
    """The page at ``path`` (a template; its words come from the catalog) in the current
    language, with a fresh nonce for its one style and one script."""
    nonce = secrets.new_id()
    policy = (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
              "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
    body = rendering.render(path.parent, path.name, True,
                            {"nonce": nonce, "language": i18n.current()})
    return Reply(200, body,
                 content_type="text/html; charset=utf-8",
                 headers={"Content-Security-Policy": policy, "Referrer-Policy": "no-referrer",
                          "X-Frame-Options": "DENY", "Cache-Control": "no-store"})
