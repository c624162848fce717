"""Links into the family web app that emails carry: ``<PUBLIC_APP_URL>#/<path>``.

The path rides in the fragment, which browsers never send to a server, so the ids in it reach no
access log, proxy or ``Referer``; the app reads it and calls the API with the family's own
session (the id alone opens nothing).  Every link we send: docs/api.md "Links we send".
"""
from __future__ import annotations

from urllib.parse import quote

from chalicelib.config import get_settings


def app_link(*path: str) -> str:
    """``app_link("deposits", deposit_id)`` -> ``https://app.example.org/#/deposits/dep_...``."""
    base = get_settings().public_app_url
    return base + "#/" + "/".join(quote(part, safe="") for part in path)
