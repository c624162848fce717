"""``make outbox``: every email, then every SMS, the local stack has sent, each newest last.

The API only queues what it sends (SQS); ``make run`` delivers the queue on a background thread
within about a second.  ``wait_for_deliveries`` waits until that queue is empty, so a reader
(this command, the walkthrough) sees what was just sent.

Reads moto's state dump (``GET <endpoint>/moto-api/data.json``) from ``AWS_ENDPOINT_URL`` or the
default local emulator.  Moto keeps one body per email, the HTML one when both were sent, so HTML
is printed as text with each link's address kept visible ("Reset <https://...>").  Moto records
no send times, so emails and SMS cannot be interleaved by time.
"""
from __future__ import annotations

import html
import json
import os
import re
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
DEFAULT_QUEUE = "kinlink-dev-notifications"  # NOTIFICATION_QUEUE of the dev stage

_LINK = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*["']([^"']*)["'][^>]*>(.*?)</a\s*>""",
                   re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<\s*(br|/p|/div|/h\d|/li|/tr)\b[^>]*>", re.IGNORECASE)
_CELL_END = re.compile(r"<\s*/(td|th)\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_HIDDEN = re.compile(r"<(style|script|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def stack_answers(url: str, timeout: float = 3.0) -> bool:
    """True if something accepts TCP connections at ``url``'s host and port."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def require_stack(urls: dict[str, str]) -> None:
    """Exit 1 with one sentence for the operator unless every URL (keyed by the variable that
    sets it) answers: the scripts that use the local stack say what to do instead of tracing."""
    for url in urls.values():
        if not stack_answers(url):
            print(f"No local stack answers at {url}: start `make run` first "
                  f"(or set {' / '.join(urls)}).", file=sys.stderr)
            sys.exit(1)


def html_to_text(body: str) -> str:
    body = _HIDDEN.sub("", body)
    # Escaped angle brackets survive the tag stripping and are unescaped with the rest.
    body = _LINK.sub(lambda m: f"{' '.join(_TAG.sub('', m.group(2)).split())} &lt;{m.group(1)}&gt;",
                     body)
    body = _BREAK.sub("\n", body)
    body = _CELL_END.sub(" ", body)
    text = html.unescape(_TAG.sub("", body))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def looks_like_html(body: str) -> bool:
    return bool(re.search(r"<(html|body|p|div|br|a)\b", body, re.IGNORECASE))


def wait_for_deliveries(endpoint: str, queue: str | None = None, timeout: float = 10.0) -> bool:
    """True once nothing is waiting on, or being sent from, the notification queue (by default
    ``NOTIFICATION_QUEUE``, else the dev stage's)."""
    import boto3

    sqs = boto3.client("sqs", endpoint_url=endpoint,
                       region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                       aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
                       aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"))
    queue = queue or os.environ.get("NOTIFICATION_QUEUE", DEFAULT_QUEUE)
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    deadline = time.monotonic() + timeout
    while True:
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        if not any(int(value) for value in counts.values()):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def fetch_state(endpoint: str) -> dict:
    with urllib.request.urlopen(f"{endpoint.rstrip('/')}/moto-api/data.json", timeout=10) as reply:
        return json.load(reply)


def render(state: dict) -> list[str]:
    blocks = []
    for message in state.get("ses", {}).get("Message", []):
        recipients = message.get("destinations", {}).get("ToAddresses", [])
        body = message.get("body", "")
        blocks.append("\n".join([
            f"EMAIL to {', '.join(recipients)}  (from {message.get('source', '?')})",
            f"Subject: {message.get('subject', '')}",
            "",
            html_to_text(body) if looks_like_html(body) else body.strip(),
        ]))
    for sms in state.get("sns", {}).get("SMS", []):
        blocks.append(f"SMS to {sms.get('phone_number', '?')}\n\n{sms.get('message', '')}")
    return blocks


def main() -> int:
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or DEFAULT_ENDPOINT
    require_stack({"AWS_ENDPOINT_URL": endpoint})
    try:
        if not wait_for_deliveries(endpoint):
            print("Some messages are still queued (or failing); showing what was sent.",
                  file=sys.stderr)
        state = fetch_state(endpoint)
    except (urllib.error.URLError, OSError, ValueError) as error:
        print(f"Cannot read the emulator's outbox at {endpoint} ({error}). Is `make run` "
              "running? It needs moto's server (LocalStack and real AWS keep no outbox).",
              file=sys.stderr)
        return 1
    blocks = render(state)
    separator = "\n" + "-" * 72 + "\n"
    print(separator.join(blocks) if blocks else f"The outbox at {endpoint} is empty.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
