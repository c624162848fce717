"""AWS clients, created on first use and reused while the Lambda container is warm.

Importing this module imports neither boto3 nor botocore: cold starts and ``import app`` stay
cheap, and nothing connects anywhere until a request needs it.  Endpoints come from the standard
``AWS_ENDPOINT_URL`` variable (moto's server, LocalStack, DynamoDB Local) or from AWS itself.
"""
from __future__ import annotations

import functools
import os
import threading

_lock = threading.Lock()


@functools.cache
def client(service: str):
    with _lock:  # boto3's default session is not safe to use from several threads at once
        import boto3
        from botocore.config import Config

        # Presigned S3 URLs signed with SigV4 (AWS refuses SigV2 in newer regions), naming the
        # bucket's regional virtual-hosted origin (https://<bucket>.s3.<region>.amazonaws.com):
        # the one origin the web app's CSP allows for media (a global-endpoint URL would be
        # another origin, and redirects outside us-east-1).  An emulator keeps path style.
        config = None
        if service == "s3":
            style = "path" if os.environ.get("AWS_ENDPOINT_URL") else "virtual"
            config = Config(signature_version="s3v4", s3={
                "us_east_1_regional_endpoint": "regional", "addressing_style": style})
        return boto3.session.Session().client(service, config=config)


def reset_clients() -> None:
    """Forget cached clients (tests start a fresh emulator per case)."""
    client.cache_clear()
