"""AWS clients, created on first use and reused while the Lambda container is warm.

Importing this module imports neither boto3 nor botocore: cold starts and ``import app`` stay
cheap, and nothing connects anywhere until a request needs it.  Endpoints come from the standard
``AWS_ENDPOINT_URL`` variable (moto's server, LocalStack, DynamoDB Local) or from AWS itself.
"""
from __future__ import annotations

import functools
import threading

_lock = threading.Lock()


@functools.cache
def client(service: str):
    with _lock:  # boto3's default session is not safe to use from several threads at once
        import boto3
        from botocore.config import Config

        # Presigned S3 URLs signed with SigV4 (AWS refuses SigV2 in newer regions).
        config = Config(signature_version="s3v4") if service == "s3" else None
        return boto3.session.Session().client(service, config=config)


def reset_clients() -> None:
    """Forget cached clients (tests start a fresh emulator per case)."""
    client.cache_clear()
