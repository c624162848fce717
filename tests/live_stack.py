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


def tables_exist() -> bool:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.core.store import MODELS

    existing = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables
    return all(model.Meta.table_name in existing for model in MODELS)


def forget_aws_connections() -> None:
    aws.reset_clients()
    reset_connections()


class LiveStack:
    """The app served by ``server_factory`` (chalice's local server by default) over a fresh
    ``emulator``, both on free ports.  ``start`` makes it the process's AWS and settings;
    ``deactivate`` gives them back without stopping the servers (another module's in-process
    moto runs meanwhile) and ``activate`` takes them again; ``stop`` ends it all."""

    def __init__(self, emulator: type[SerialMotoServer] = SerialMotoServer,
                 server_factory=None) -> None:
        self.emulator = emulator
        self.server_factory = server_factory
        self.moto_port, self.app_port = free_port(), free_port()
        self.base_url = f"http://127.0.0.1:{self.app_port}"
        self.moto = None
        self.server = None
        self.active = False
        self.saved_env: dict[str, str | None] = {}
        self.saved_class = None
        self.local_class = None

    def activate(self) -> None:
        self.saved_env = {name: os.environ.get(name) for name in RESTORED_ENVIRONMENT}
        self.saved_class = app.__class__
        os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{self.moto_port}"
        os.environ["PUBLIC_BASE_URL"] = self.base_url
        reset_settings()
        forget_aws_connections()
        notify.use_notifier(None)
        clock.reset()
        if self.local_class is not None:
            app.__class__ = self.local_class
        self.active = True
        # Needed again after another module's emulator reset moto's state (shared in-process).
        if not tables_exist():
            create_tables()
        delivery.ensure_queue()
        media.ensure_bucket()
        aws.client("ses").verify_email_identity(EmailAddress=get_settings().email_sender)

    def deactivate(self) -> None:
        if not self.active:
            return
        self.active = False
        app.__class__ = self.saved_class
        for name, value in self.saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()
        forget_aws_connections()

    def start(self) -> str:
        self.moto = self.emulator(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self.moto.start()
        try:
            self.activate()
            config = Config.create(chalice_stage="test", app_name="kinlink", project_dir=str(ROOT))
            factory = self.server_factory or create_local_server
            self.server = accept_many(factory(app, config, "127.0.0.1", self.app_port))
            self.local_class = app.__class__
            threading.Thread(target=self.server.serve_forever, daemon=True).start()
        except BaseException:
            self.stop()
            raise
        return self.base_url

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server.server_close()
            self.server = None
        if self.moto is not None:
            urllib.request.urlopen(urllib.request.Request(
                f"http://127.0.0.1:{self.moto_port}/moto-api/reset", method="POST"))
            self.moto.stop()
            self.moto = None
        self.deactivate()


@contextlib.contextmanager
def running_stack(emulator: type[SerialMotoServer] = SerialMotoServer) -> Iterator[str]:
    """Yield the base URL of the app, served over empty tables on a fresh ``emulator``."""
    stack = LiveStack(emulator, create_local_server)
    try:
        yield stack.start()
    finally:
        stack.stop()


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
