"""Outbound email and SMS behind one small interface: ``notifier().email(to, template,
language=..., **context)`` and ``notifier().sms(phone, template, language=..., **context)``.

The notifier only queues (SQS) the template's name, its values and the recipient's language;
``core.delivery`` renders and sends (SES, SNS) out of band, in the worker Lambda in AWS, on a
background thread under ``make run``.  Each email is one Jinja2 template
``templates/email/<name>.html`` (subject, HTML and plain text), each SMS one
``templates/sms/<name>.txt``, their words from the catalogs (``core.rendering``).  Queueing
never raises: a failure is logged and reported as ``False`` so the caller can answer as the
contract says (a sign-up still answers 202 when the queue is down; the code can be re-sent).
"""
from __future__ import annotations

import functools
import json
import logging
import os
from typing import NamedTuple, Protocol

from chalicelib.config import get_settings
from chalicelib.core import aws, i18n, rendering
from chalicelib.core.logs import log_event

EMAILS = rendering.TEMPLATES / "email"
SMS = rendering.TEMPLATES / "sms"


class Email(NamedTuple):
    to: str
    subject: str
    text: str
    html: str


def render_email(to: str, template: str, context: dict[str, object],
                 language: str | None = None) -> Email:
    """The email in ``language`` (the recipient's; English when None)."""
    name = f"{template}.html"
    with i18n.using(language) as spoken:
        values = {**context, "language": spoken}
        return Email(
            to=to,
            subject=rendering.render_block(EMAILS, name, "subject", values),
            text=rendering.render(EMAILS, name, False, values).strip() + "\n",
            html=rendering.render(EMAILS, name, True, values),
        )


def render_sms(template: str, context: dict[str, object], language: str | None = None) -> str:
    with i18n.using(language):
        return rendering.one_line(rendering.render(SMS, f"{template}.txt", False, context))


def recipient_language(chosen: str | None, requester: bool) -> str:
    """Who reads decides (api.md "Languages"): the recipient's account language, else the
    language of the request that caused the message when the recipient made it, else English
    (staff deciding a family's message speak their own language, not the family's)."""
    return i18n.supported(chosen) or (i18n.current() if requester else i18n.DEFAULT_LANGUAGE)


def _values(context: dict[str, object]) -> dict[str, object]:
    """What the queue carries: JSON values as they are (amounts stay numbers, lists of plain
    records stay lists), the rest as text."""
    return {key: value if isinstance(value, (str, int, float, bool, type(None), list, dict))
            else str(value)
            for key, value in context.items()}


def queue_url() -> str:
    """The stage's notification queue (``NOTIFICATION_QUEUE``), looked up once per endpoint."""
    return _queue_url(get_settings().notification_queue, os.environ.get("AWS_ENDPOINT_URL"))


@functools.cache
def _queue_url(name: str, endpoint: str | None) -> str:
    return aws.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


class Notifier(Protocol):
    def email(self, to: str, template: str, *, language: str | None = None,
              requester: bool = True, **context: object) -> bool: ...

    def sms(self, phone: str, template: str, *, language: str | None = None,
            requester: bool = True, **context: object) -> bool: ...


class QueuedNotifier:
    """Puts each email or SMS on the notification queue; ``delivery`` renders and sends it.

    The request only pays for one SQS ``SendMessage``, whoever the recipient is, so how long a
    request takes says nothing about whether anything was sent (api.md: forgot, reset and
    verify answer in the same time for registered and unknown addresses).  ``True`` means
    queued; a failed enqueue is logged and answered ``False``, never raised.  ``language`` is
    the recipient's account language (None: not chosen); ``requester`` says whether the
    recipient is the person whose request causes the message (``recipient_language``)."""

    def email(self, to: str, template: str, *, language: str | None = None,
              requester: bool = True, **context: object) -> bool:
        return self._enqueue({"kind": "email", "to": to, "template": template,
                              "language": recipient_language(language, requester),
                              "context": _values(context)}, template=template)

    def sms(self, phone: str, template: str, *, language: str | None = None,
            requester: bool = True, **context: object) -> bool:
        return self._enqueue({"kind": "sms", "phone": phone, "template": template,
                              "language": recipient_language(language, requester),
                              "context": _values(context)}, template=template)

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
