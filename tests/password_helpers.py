"""Helpers shared by the password-reset tests (API and browser)."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from tests.conftest import sent_emails

RESET_SUBJECT = "Reset your Kinlink password"
CHANGED_SUBJECT = "Your Kinlink password was changed"


def emails_with_subject(to: str, subject: str) -> list:
    return [message for message in sent_emails(to) if message.subject == subject]


def reset_link(to: str) -> str:
    """The link of the newest reset email sent to ``to`` (moto keeps the HTML body)."""
    body = emails_with_subject(to, RESET_SUBJECT)[-1].body
    return html.unescape(re.search(r'href="([^"]+)"', body).group(1))


def reset_token(to: str) -> str:
    """The token of the newest reset link (it rides in the fragment: ``#token=``)."""
    return parse_qs(urlsplit(reset_link(to)).fragment)["token"][0]
