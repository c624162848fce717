"""Encryption at rest of small secrets (TOTP seeds) with AWS KMS, directly with the key
(``KMS_KEY_ID``; no envelope needed below 4 KB), each value bound to an encryption context such
as the account id.  Outside production a missing key is created on first use (``ensure_key``);
in production it is a deployment error.
Why: docs/decisions/secrets.md
"""
from __future__ import annotations

import base64
import logging

from chalicelib.config import get_settings
from chalicelib.core import aws, dependencies
from chalicelib.core.errors import ServiceUnavailable
from chalicelib.core.logs import log_event
from chalicelib.core.i18n import _


def encrypt(plaintext: str, context: dict[str, str]) -> str:
    """Base64 ciphertext of ``plaintext``, decryptable only with the same ``context``."""
    kms = aws.client("kms")
    key_id = get_settings().kms_key_id
    try:
        blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext.encode("utf-8"),
                           EncryptionContext=context)["CiphertextBlob"]
    except kms.exceptions.NotFoundException:
        if get_settings().is_production:
            raise _unavailable("encrypt") from None
        ensure_key()
        return encrypt(plaintext, context)
    except Exception as error:
        raise _unavailable("encrypt", error) from None
    return base64.b64encode(blob).decode("ascii")


def decrypt(ciphertext: str, context: dict[str, str]) -> str:
    kms = aws.client("kms")
    try:
        plain = kms.decrypt(CiphertextBlob=base64.b64decode(ciphertext),
                            EncryptionContext=context)["Plaintext"]
    except Exception as error:
        raise _unavailable("decrypt", error) from None
    return plain.decode("utf-8")


def ensure_key() -> str:
    """The key id behind ``KMS_KEY_ID``, creating the key (and its alias) when it is missing."""
    kms = aws.client("kms")
    key_id = get_settings().kms_key_id
    try:
        return kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"]
    except kms.exceptions.NotFoundException:
        pass
    created = kms.create_key(Description="Kinlink TOTP secrets",
                             KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    if key_id.startswith("alias/"):
        kms.create_alias(AliasName=key_id, TargetKeyId=created)
    log_event("kms_key_created", alias=key_id)
    return created


def _unavailable(operation: str, error: Exception | None = None) -> ServiceUnavailable:
    """A KMS failure the client may retry (503 with ``Retry-After``); an error that is not a
    dependency failure (a bug, a wrong key policy) is re-raised and stays a 500."""
    if error is not None and not dependencies.is_transient(error):
        raise error
    log_event("kms_failed", logging.ERROR, operation=operation,
              error=type(error).__name__ if error is not None else "key_missing")
    return ServiceUnavailable(_("Two-factor authentication is unavailable right now. Try again "
                                "in a minute."), retry_after_seconds=dependencies.RETRY_AFTER_SECONDS)
