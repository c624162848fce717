"""The other end of the notification queue: render each queued email or SMS and send it.
Each is rendered in the recipient's language, carried by the queued message.
In AWS the worker Lambda hands batches to ``deliver_records`` (failures go back to SQS, then
the dead-letter queue); under ``make run`` a thread calls ``drain``.  Messages carry one-time
codes, so nothing here logs a body: only the template name and the outcome.
Why: docs/decisions/notifications.md
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from chalicelib.config import get_settings
from chalicelib.core import aws
from chalicelib.core.logs import log_event
from chalicelib.core.notify import Email, queue_url, render_email, render_sms

# Local and test queues mirror the template's (scripts/cfn_resources.py).
DEAD_LETTER_SUFFIX = "-dead-letter"
MAX_RECEIVES = 3


def deliver(body: str) -> None:
    """Send one queued message; raises when it could not be sent (the queue retries it)."""
    message = json.loads(body)
    kind = message["kind"]
    if kind == "decoy":  # queued only so that sending nothing takes as long as sending
        return
    try:
        if kind == "email":
            _send_email(render_email(message["to"], message["template"], message["context"],
                                     message.get("language")))
        else:
            aws.client("sns").publish(PhoneNumber=message["phone"], Message=_sms_text(message))
    except Exception as error:
        log_event(f"{kind}_failed", logging.ERROR, template=message.get("template"),
                  error=type(error).__name__)
        raise
    log_event(f"{kind}_sent", template=message.get("template"))


def _sms_text(message: dict) -> str:
    """Rendered in the recipient's language; a message queued before templates (``text``) as is."""
    if "text" in message:
        return message["text"]
    return render_sms(message["template"], message["context"], message.get("language"))


def _send_email(email: Email) -> None:
    aws.client("ses").send_email(
        Source=get_settings().email_sender,
        Destination={"ToAddresses": [email.to]},
        Message={
            "Subject": {"Data": email.subject, "Charset": "UTF-8"},
            "Body": {
                "Text": {"Data": email.text, "Charset": "UTF-8"},
                "Html": {"Data": email.html, "Charset": "UTF-8"},
            },
        },
    )


def deliver_records(records: Iterable[tuple[str, str]]) -> list[str]:
    """Deliver ``(message id, body)`` pairs; returns the ids that failed (SQS partial batch
    response), so one bad message neither blocks nor re-sends the others."""
    failed = []
    for message_id, body in records:
        try:
            deliver(body)
        except Exception:  # logged by deliver; the queue retries it, then dead-letters it
            failed.append(message_id)
    return failed


def drain(wait_seconds: int = 0) -> int:
    """Deliver what is on the queue now (long-polling ``wait_seconds`` for the first message);
    returns how many were sent.  A failed message stays on the queue and comes back after its
    visibility timeout, as in AWS."""
    sqs = aws.client("sqs")
    sent = 0
    while True:
        received = sqs.receive_message(QueueUrl=queue_url(), MaxNumberOfMessages=10,
                                       WaitTimeSeconds=wait_seconds).get("Messages", [])
        if not received:
            return sent
        failed = set(deliver_records((m["MessageId"], m["Body"]) for m in received))
        done = [m for m in received if m["MessageId"] not in failed]
        for message in done:
            sqs.delete_message(QueueUrl=queue_url(), ReceiptHandle=message["ReceiptHandle"])
        sent += len(done)
        wait_seconds = 0


def ensure_queue() -> None:
    """Create the stage's queue and its dead-letter queue (local stack and tests; the template
    creates them in AWS).  Idempotent."""
    sqs = aws.client("sqs")
    name = get_settings().notification_queue
    dead_letter_url = sqs.create_queue(QueueName=name + DEAD_LETTER_SUFFIX)["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(
        QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": str(MAX_RECEIVES)})})
