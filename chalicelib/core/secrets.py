"""Random values and how they are stored: never in clear.
High-entropy tokens as SHA-256 digests; low-entropy codes as HMAC-SHA256 keyed by
``SECRET_KEY``, so a copy of a table does not let anyone enumerate them.  ``SECRET_KEY`` comes
from Secrets Manager on first use when ``SECRET_KEY_ARN`` is set, never at import time.
Why: docs/decisions/secrets.md
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

from chalicelib.config import ConfigurationError, get_settings
from chalicelib.core import aws


def new_id(prefix: str = "") -> str:
    """An unguessable identifier (128 bits), URL-safe."""
    return prefix + secrets.token_urlsafe(16)


def new_token() -> str:
    """A bearer secret with 256 bits of randomness."""
    return secrets.token_urlsafe(32)


def new_numeric_code(digits: int = 6) -> str:
    return f"{secrets.randbelow(10 ** digits):0{digits}d}"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def secret_key() -> bytes:
    """The deployment's ``SECRET_KEY`` (see the module's docstring)."""
    settings = get_settings()
    return _secret_key(settings.secret_key_arn, settings.secret_key)


@functools.lru_cache(maxsize=2)
def _secret_key(arn: str, plain: str) -> bytes:
    # Cached per (ARN, value): tests that change the environment get the new key.
    if not arn:
        return plain.encode("utf-8")
    value = stored_secret(arn)
    if len(value) < 32:
        raise ConfigurationError("The secret SECRET_KEY_ARN names must hold at least 32 "
                                 "characters")
    return value.encode("utf-8")


@functools.lru_cache(maxsize=8)
def stored_secret(arn: str) -> str:
    """A Secrets Manager secret's value, read once per container.  A failed read is not cached:
    it propagates (a 503) and the next request tries again."""
    return aws.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"].strip()


def from_our_edge(proof: str | None) -> bool:
    """Whether a request's ``X-Kinlink-Edge`` header is the value our CloudFront distribution
    adds (``EDGE_ORIGIN_SECRET``): then, and only then, its viewer address is believed."""
    settings = get_settings()
    if not proof or not (settings.edge_origin_secret_arn or settings.edge_origin_secret):
        return False
    expected = stored_secret(settings.edge_origin_secret_arn) if settings.edge_origin_secret_arn \
        else settings.edge_origin_secret
    return hmac.compare_digest(proof.encode("utf-8"), expected.encode("utf-8"))


def keyed_digest(value: str, purpose: str) -> str:
    """HMAC of a low-entropy value, bound to what it is for (a code for one purpose cannot be
    replayed for another)."""
    message = f"{purpose}\x00{value}".encode()
    key = secret_key()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two digests."""
    if a is None or b is None:
        return False
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def sign(payload: bytes, purpose: str) -> str:
    """``base64url(payload).base64url(hmac)``: for opaque values handed to clients (cursors)."""
    mac = hmac.new(secret_key(), purpose.encode("utf-8") + b"\x00" + payload, hashlib.sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(mac)}"


def unsign(value: str, purpose: str) -> bytes | None:
    """The payload of a value made by ``sign``, or None if it was not made here."""
    try:
        payload_part, mac_part = value.split(".", 1)
        payload = _unb64(payload_part)
    except (ValueError, TypeError):
        return None
    expected = sign(payload, purpose).split(".", 1)[1]
    return payload if hmac.compare_digest(expected.encode(), mac_part.encode()) else None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
