"""JSON-lines logging with the request id on every line.

Callers log events with structured fields (``log_event("login_failed", reason=...)``).  Fields
whose names look secret are replaced before anything is written, as a second line of defence:
the first is never to pass a secret to a logger at all.
"""
from __future__ import annotations

import contextvars
import json
import logging
import sys

from chalicelib.core import clock

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

LOGGER_NAME = "kinlink.api"  # not "kinlink": Chalice owns the logger named after the app
_SECRET_WORDS = ("password", "token", "code", "secret", "pin", "authorization", "card")


def _redact(fields: dict) -> dict:
    return {
        key: ("[redacted]" if any(word in key.lower() for word in _SECRET_WORDS) else value)
        for key, value in fields.items()
    }


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "at": clock.iso(record.created),
            "level": record.levelname,
            "event": record.getMessage(),
            "request_id": request_id.get(),
        }
        line.update(_redact(getattr(record, "fields", {})))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class _CurrentStdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at the time (Lambda, a test's capture, a pipe)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def logger() -> logging.Logger:
    log = logging.getLogger(LOGGER_NAME)
    if not getattr(log, "_kinlink_configured", False):
        handler = _CurrentStdoutHandler()
        handler.setFormatter(JsonLineFormatter())
        log.addHandler(handler)
        log.propagate = False
        from chalicelib.config import get_settings

        log.setLevel(get_settings().log_level)
        log._kinlink_configured = True  # type: ignore[attr-defined]
    return log


def log_event(event: str, level: int = logging.INFO, exc_info: bool = False, **fields) -> None:
    logger().log(level, event, extra={"fields": fields}, exc_info=exc_info)
