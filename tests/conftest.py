"""Test harness: moto in-process (no server, no network) and Chalice's test client.

Every test that takes ``api`` gets fresh, empty AWS state with the tables created, the ``test``
stage's configuration (bcrypt cost 4), and a clock it may move with ``clock.advance``.

Tiers (markers registered in pytest.ini, README "Tests"): each test is exactly one of ``unit``
(no AWS), ``api`` (in-process moto, through ``aws_state``) or ``live`` (real HTTP servers on free
ports: set for the live fixtures, by hand where a test starts a server inline; it wins over
``api``).  ``slow`` is set for the slow fixtures and by hand; ``serial`` only by hand.
"""
from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
from pathlib import Path

import pytest
from _pytest.nodeid import coerce_node_id

ROOT = Path(__file__).resolve().parents[1]

# Never talk to a real endpoint from the unit suite, whatever the shell says.
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)
os.environ.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                   "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                   # Each test empties the notification queue; AWS allows one purge a minute.
                   "MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR": "false"})


def _stage_environment(stage: str) -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return {**config.get("environment_variables", {}),
            **config["stages"][stage].get("environment_variables", {})}


# The suite runs on the ``test`` stage's settings (Chalice's client only applies them during a
# request; domain code called directly by tests needs them too).
os.environ.update(_stage_environment("test"))

from tests import emulator_speedups  # noqa: E402

emulator_speedups.install()  # before any emulator call; answers unchanged (see the module)

from chalice.test import Client  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.core import DEFAULT_ACCOUNT_ID  # noqa: E402

from app import app  # noqa: E402
import chalicelib  # noqa: E402
from chalicelib.accounts import store as accounts_store  # noqa: E402
from chalicelib.config import get_settings, reset_settings  # noqa: E402
from chalicelib.core import aws, clock, delivery, notify  # noqa: E402
from chalicelib.core.store import MODELS, create_tables  # noqa: E402


# ``import app`` loads the capabilities' modules on first use (core.lazy); the suite loads them
# all now, as one process serving everything would: a module first loaded under a test's patch
# would keep the patched function.  tests/test_cold_start_lazy.py covers the lazy path.
# (Private names are left out: tests/test_layers.py plants and removes a ``_layers_probe``.)
for _module in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
    if not _module.name.rsplit(".", 1)[-1].startswith("_"):
        importlib.import_module(_module.name)

class Api:
    """A thin JSON client over Chalice's test client."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.headers: dict[str, str] = {"User-Agent": "pytest-client/1.0"}

    def call(self, method: str, path: str, body=None, token: str | None = None,
             headers: dict | None = None, raw: bytes | str | None = None):
        all_headers = {"Content-Type": "application/json", **self.headers, **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else b"")
        response = getattr(self.client.http, method.lower())(path, headers=all_headers,
                                                             body=payload)
        response.json = json.loads(response.body) if response.body else None
        return response

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def delete(self, path, body=None, **kw):
        return self.call("DELETE", path, body, **kw)


def sent_emails(to: str | None = None) -> list:
    """Emails sent so far, after delivering everything still on the notification queue."""
    from moto.ses.models import ses_backends

    delivery.drain()
    messages = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    return [m for m in messages if to is None or to in m.destinations.get("ToAddresses", [])]


def sent_sms(to: str | None = None) -> list[str]:
    from moto.sns.models import sns_backends

    delivery.drain()
    messages = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values()
    return [text for phone, text in messages if to is None or phone == to]


def last_code(to: str) -> str:
    """The six-digit code of the newest email sent to ``to``."""
    body = sent_emails(to)[-1].body
    return re.search(r"\b(\d{6})\b", body).group(1)


# Fixtures that serve the app over real HTTP; tests starting a server inline are marked by hand.
LIVE_FIXTURES = {"stack", "live_app", "live_account"}
# Fixtures that take seconds to build (a server, a browser, `chalice package`).
SLOW_FIXTURES = LIVE_FIXTURES | {"template", "browser"}


def pytest_collection_modifyitems(items) -> None:
    """Give every test its tier: ``live`` if it serves HTTP, else ``api`` if it uses the
    emulator, else ``unit``.  Schemathesis names every operation's test alike; the operation
    goes into the node id so that xdist can schedule them (it keys its queue by node id)."""
    for item in items:
        label = getattr(item, "operation_label", None)
        if label and not item.nodeid.endswith("]"):  # pytest has no public setter for this
            item._id = coerce_node_id(f"{item.nodeid}[{label}]")
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("live") is None and fixtures & LIVE_FIXTURES:
            item.add_marker("live")
        if item.get_closest_marker("live") is None:
            item.add_marker("api" if "aws_state" in fixtures else "unit")
        if fixtures & SLOW_FIXTURES:
            item.add_marker("slow")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` with the schemathesis file's operations spread (tests/xdist_schedule.py)."""
    if config.getoption("dist") == "loadfile":
        from tests.xdist_schedule import FilesThenSpreadTests

        return FilesThenSpreadTests(config, log)
    return None


def pytest_ignore_collect(collection_path, config):
    """``make test``'s second step (``-m serial``) opens only the files that mark a test serial:
    importing and parametrizing all the others cost that single process about 10 s."""
    if (config.option.markexpr == "serial" and collection_path.suffix == ".py"
            and collection_path.name.startswith("test_")):
        return "mark.serial" not in collection_path.read_text() or None
    return None


@pytest.fixture(scope="session")
def aws_state():
    """One in-process emulator for the whole run, its tables created once (27 tables take
    about 2 s to create; emptying them between tests takes a fraction of that)."""
    with mock_aws():
        reset_settings()
        create_tables()
        delivery.ensure_queue()
        yield


def _tables_exist() -> bool:
    from moto.dynamodb.models import dynamodb_backends

    existing = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables
    return all(model.Meta.table_name in existing for model in MODELS)


def _empty_aws() -> None:
    """Every table emptied and the outboxes cleared: each test starts from nothing."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends

    # Straight into the emulator's tables: a Scan and batch delete per table per test cost more.
    for table in dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables.values():
        table.items.clear()
    ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages.clear()
    sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.clear()
    sqs = sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    for name in (get_settings().notification_queue,
                 get_settings().notification_queue + delivery.DEAD_LETTER_SUFFIX):
        sqs.purge_queue(name)


@pytest.fixture
def api(aws_state):
    with Client(app, stage_name="test", project_dir=str(ROOT)) as client:
        reset_settings()
        # Clients are kept from test to test (building one costs about 0.1 s, most of this
        # fixture's time): they all talk to the same in-process emulator.  A live stack
        # forgets them when it starts and when it stops.
        notify.use_notifier(None)
        clock.reset()
        # Live-server tests run moto's server in this process, sharing (and resetting) the
        # emulator's state: make sure the tables are there before emptying them.
        if not _tables_exist():
            create_tables()
        delivery.ensure_queue()
        notify.queue_url()  # looked up once per container, as on Lambda: not in a test's calls
        _empty_aws()
        accounts_store.ensure_stand_in()  # as after a stage's first unknown email
        aws.client("ses").verify_email_identity(EmailAddress=get_settings().email_sender)
        yield Api(client)
        clock.reset()
    reset_settings()


STRONG_PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def make_family(api):
    """Sign up and verify a family account; returns (email, password, tokens)."""
    counter = {"n": 0}

    def make(email: str | None = None, password: str = STRONG_PASSWORD, login: bool = True):
        counter["n"] += 1
        email = email or f"family{counter['n']}@example.com"
        assert api.post("/v1/auth/signup", {"email": email, "password": password,
                                            "full_name": "Pat Family"}).status_code == 202
        assert api.post("/v1/auth/verify-email",
                        {"email": email, "code": last_code(email)}).status_code == 200
        tokens = None
        if login:
            response = api.post("/v1/auth/login", {"email": email, "password": password})
            assert response.status_code == 200, response.json
            tokens = response.json
        return email, password, tokens

    return make


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> dict:
    """The prod stage's packaged SAM template (``make package`` without the wheels), built once
    per run for the two files that read it (test_package, test_security_review_hardening)."""
    import shutil
    import subprocess
    import sys

    bin_dir = Path(sys.executable).parent
    work = tmp_path_factory.mktemp("package")
    project = work / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "deployments")
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=ignore)
    shutil.copytree(ROOT / ".chalice", project / ".chalice", ignore=ignore)
    shutil.copy(ROOT / "app.py", project / "app.py")
    (project / "requirements.txt").write_text("")
    environment = {"PATH": str(bin_dir), "AWS_DEFAULT_REGION": "us-east-1", "HOME": str(work)}
    merge = subprocess.run([sys.executable, str(ROOT / "scripts" / "cfn_resources.py")],
                           cwd=ROOT, env=environment, capture_output=True, text=True, check=True)
    (work / "resources.json").write_text(merge.stdout)
    subprocess.run([str(bin_dir / "chalice"), "package", "--stage", "prod", "--merge-template",
                    str(work / "resources.json"), str(work / "out")],
                   cwd=project, env=environment, capture_output=True, text=True, check=True)
    return json.loads((work / "out" / "sam.json").read_text())
