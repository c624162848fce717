"""Outbound email (SES) and SMS (SNS) behind one small interface.

Each email is a folder ``templates/email/<name>/`` holding ``subject.txt``, ``body.txt`` and
``body.html`` with ``$placeholders`` (``string.Template``); HTML values are escaped.  Sending
never raises: a failed delivery is logged and reported as ``False`` so the caller can answer as
the contract says (a sign-up still answers 202 when SES is down; the code can be re-sent).
"""
from __future__ import annotations

import html
import logging
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from chalicelib.config import get_settings
from chalicelib.core import aws
from chalicelib.core.logs import log_event

TEMPLATES = Path(__file__).parent / "templates" / "email"


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str


def render_email(to: str, template: str, context: dict[str, object]) -> Email:
    folder = TEMPLATES / template
    plain = {key: str(value) for key, value in context.items()}
    escaped = {key: html.escape(value) for key, value in plain.items()}

    def fill(name: str, values: dict[str, str]) -> str:
        return string.Template((folder / name).read_text(encoding="utf-8")).substitute(values)

    return Email(
        to=to,
        subject=fill("subject.txt", plain).strip(),
        text=fill("body.txt", plain),
        html=fill("body.html", escaped),
    )


class Notifier(Protocol):
    def email(self, to: str, template: str, **context: object) -> bool: ...

    def sms(self, phone: str, text: str) -> bool: ...


class AwsNotifier:
    """SES for email, SNS for SMS."""

    def email(self, to: str, template: str, **context: object) -> bool:
        message = render_email(to, template, context)
        try:
            aws.client("ses").send_email(
                Source=get_settings().email_sender,
                Destination={"ToAddresses": [message.to]},
                Message={
                    "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": message.text, "Charset": "UTF-8"},
                        "Html": {"Data": message.html, "Charset": "UTF-8"},
                    },
                },
            )
        except Exception as error:  # any SES/botocore failure: log it, never fail the request
            log_event("email_failed", logging.ERROR, template=template, error=type(error).__name__)
            return False
        log_event("email_sent", template=template)
        return True

    def sms(self, phone: str, text: str) -> bool:
        try:
            aws.client("sns").publish(PhoneNumber=phone, Message=text)
        except Exception as error:
            log_event("sms_failed", logging.ERROR, error=type(error).__name__)
            return False
        log_event("sms_sent")
        return True


_notifier: Notifier | None = None


def notifier() -> Notifier:
    global _notifier
    if _notifier is None:
        _notifier = AwsNotifier()
    return _notifier


def use_notifier(replacement: Notifier | None) -> None:
    """Swap the sender (tests inject failures); ``None`` restores the AWS one."""
    global _notifier
    _notifier = replacement
