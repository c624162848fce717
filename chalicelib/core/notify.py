"""Outbound email and SMS behind one small interface: ``notifier().email(to, template, **context)``
and ``notifier().sms(phone, text)``.

The notifier only queues (SQS); ``core.delivery`` renders and sends (SES, SNS) out of band, in
the worker Lambda in AWS, on a background thread under ``make run``.  Each email is a folder
``templates/email/<name>/`` holding ``subject.txt``, ``body.txt`` and ``body.html`` with
``$placeholders`` (``string.Template``); HTML values are escaped.  Queueing never raises: a
failure is logged and reported as ``False`` so the caller can answer as the contract says (a
sign-up still answers 202 when the queue is down; the code can be re-sent).
"""
from __future__ import annotations

import functools
import html
import json
import logging
import os
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


def queue_url() -> str:
    """The stage's notification queue (``NOTIFICATION_QUEUE``), looked up once per endpoint."""
    return _queue_url(get_settings().notification_queue, os.environ.get("AWS_ENDPOINT_URL"))


@functools.cache
def _queue_url(name: str, endpoint: str | None) -> str:
    return aws.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


class Notifier(Protocol):
    def email(self, to: str, template: str, **context: object) -> bool: ...

    def sms(self, phone: str, text: str) -> bool: ...


class QueuedNotifier:
    """Puts each email or SMS on the notification queue; ``delivery`` renders and sends it.

    The request only pays for one SQS ``SendMessage``, whoever the recipient is, so how long a
    request takes says nothing about whether anything was sent (api.md: forgot, reset and
    verify answer in the same time for registered and unknown addresses).  ``True`` means
    queued; a failed enqueue is logged and answered ``False``, never raised."""

    def email(self, to: str, template: str, **context: object) -> bool:
        return self._enqueue({"kind": "email", "to": to, "template": template,
                              "context": {key: str(value) for key, value in context.items()}},
                             template=template)

    def sms(self, phone: str, text: str) -> bool:
        return self._enqueue({"kind": "sms", "phone": phone, "text": text})

    @staticmethod
    def _enqueue(message: dict, **log_fields: str) -> bool:
        try:
            aws.client("sqs").send_message(QueueUrl=queue_url(), MessageBody=json.dumps(message))
        except Exception as error:  # any SQS/botocore failure: log it, never fail the request
            log_event(f"{message['kind']}_not_queued", logging.ERROR,
                      error=type(error).__name__, **log_fields)
            return False
        log_event(f"{message['kind']}_queued", **log_fields)
        return True


def queue_decoy() -> None:
    """Queue a message the worker drops: a request that sends nothing (a reset for an unknown
    address) still makes the one queue write a send makes, so its timing matches."""
    QueuedNotifier._enqueue({"kind": "decoy"})


_notifier: Notifier | None = None


def notifier() -> Notifier:
    global _notifier
    if _notifier is None:
        _notifier = QueuedNotifier()
    return _notifier


def use_notifier(replacement: Notifier | None) -> None:
    """Swap the sender (tests inject failures); ``None`` restores the queued one."""
    global _notifier
    _notifier = replacement
