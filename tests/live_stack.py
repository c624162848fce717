"""The app as real HTTP: chalice's local server over moto's server (one request at a time, as
``make run`` serves it), both on free ports in this process.  Used by the tests that need a real client (the
browser test, the schemathesis run, the races over HTTP).

``running_stack()`` points AWS at the moto server only while it runs and restores everything
after (environment, settings, cached clients and PynamoDB connections, the app's class, which
``create_local_server`` swaps for a thread-safe subclass), so other tests keep their in-process
moto.  Moto's server runs in this process, so ``tests.conftest.sent_emails`` sees its outbox;
like every reader there it first delivers the notification queue (through the live endpoint).
No background worker runs here: sends stay queued until read, as in AWS where another Lambda
sends them, so timing tests measure the request alone.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from chalice.config import Config
from chalice.local import create_local_server

from app import app
from chalicelib import media
from chalicelib.config import get_settings, reset_settings
from chalicelib.core import aws, clock, delivery, notify
from chalicelib.core.store import create_tables, reset_connections
from scripts.local_emulator import SerialMotoServer, accept_many
from tests.conftest import ROOT

RESTORED_ENVIRONMENT = ("AWS_ENDPOINT_URL", "PUBLIC_BASE_URL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def forget_aws_connections() -> None:
    aws.reset_clients()
    reset_connections()


@contextlib.contextmanager
def running_stack(emulator: type[SerialMotoServer] = SerialMotoServer) -> Iterator[str]:
    """Yield the base URL of the app, served over empty tables on a fresh ``emulator``."""
    saved_env = {name: os.environ.get(name) for name in RESTORED_ENVIRONMENT}
    saved_class = app.__class__
    moto_port, app_port = free_port(), free_port()
    moto = emulator(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    base_url = f"http://127.0.0.1:{app_port}"
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{moto_port}"
    os.environ["PUBLIC_BASE_URL"] = base_url
    reset_settings()
    forget_aws_connections()
    notify.use_notifier(None)
    clock.reset()
    server = None
    try:
        create_tables()
        delivery.ensure_queue()
        media.ensure_bucket()
        aws.client("ses").verify_email_identity(EmailAddress=get_settings().email_sender)
        config = Config.create(chalice_stage="test", app_name="kinlink", project_dir=str(ROOT))
        server = accept_many(create_local_server(app, config, "127.0.0.1", app_port))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield base_url
    finally:
        if server is not None:
            server.shutdown()
            server.server.server_close()
        urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{moto_port}/moto-api/reset", method="POST"))
        moto.stop()
        app.__class__ = saved_class
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()
        forget_aws_connections()


def post_json(base_url: str, path: str, body: dict,
              headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, dict]:
    request = urllib.request.Request(base_url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})},
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def secret_checks(monkeypatch) -> list[str]:
    """Every secret (password or PIN) that reached bcrypt, from any thread: races over HTTP
    assert how many attempts were evaluated."""
    from chalicelib import accounts
    from chalicelib.accounts import passwords

    calls: list[str] = []
    lock = threading.Lock()
    original = passwords.verify_password

    def counting(secret, secret_hash):
        with lock:
            calls.append(secret)
        return original(secret, secret_hash)

    monkeypatch.setattr(passwords, "verify_password", counting)
    monkeypatch.setattr(accounts, "verify_password", counting)  # the face kiosk sign-in uses
    return calls
