"""What ``import app`` may cost, the part of a Lambda cold start that is ours (issue 10, item 3;
``make bench`` times it).  One fresh interpreter imports the app with the network refused and
reports what the import loaded and did; each test names one rule."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Libraries only some requests, jobs or the notification worker need: imported inside the
# function that uses them, so no cold start pays for them.
ON_FIRST_USE = {
    "stripe": "card payments",
    "jinja2": "email templates",
    "markupsafe": "email templates",
    "babel": "money and date formatting",
    "PIL": "images",
    "mutagen": "VideoGram lengths",
    "zxcvbn": "password strength (sign-up, password change and reset)",
    "bcrypt": "password and PIN checks",
    "pyotp": "TOTP second factor",
    "segno": "the QR code of TOTP enrolment",
    "email_validator": "email addresses (sign-up, email change)",
    "dns": "email deliverability (email-validator)",
    "idna": "international domain names (email-validator)",
    "phonenumbers": "phone numbers",
    "boto3": "AWS clients, created on first use",
    "s3transfer": "boto3's transfer manager",
}

# A capability's services and models load on the first request or job that uses them
# (``core.lazy``): ``import app`` loads its face, its routes and what their schemas name.
LOADED_WITH_THE_ROUTES = ("__init__", "routes", "states", "cards", "page_paths", "roles")
# ...but every request authenticates (sessions and accounts' models), and the facilities'
# routes name the rules document, the roster's columns and the PIN's pattern (their modules,
# and the facility models they read, load with them).
LOADED_WITH_THE_APP = ("chalicelib.accounts.", "chalicelib.facilities.")

PROBE = """
import dataclasses, json, socket, sys
import botocore.session

made, connections, clients = [], [], []
build = dataclasses.dataclass

def recording(cls=None, /, **options):
    def wrap(cls):
        if cls.__module__.split(".")[0] in ("app", "chalicelib"):
            made.append(f"{cls.__module__}.{cls.__qualname__}")
        return build(cls, **options)
    return wrap if cls is None else wrap(cls)

def refuse(self, address, *args):
    connections.append(repr(address))
    raise OSError("no network while importing the app")

create_client = botocore.session.Session.create_client

def record_client(self, service, *args, **kwargs):
    clients.append(service)
    return create_client(self, service, *args, **kwargs)

dataclasses.dataclass = recording
socket.socket.connect = socket.socket.connect_ex = refuse
botocore.session.Session.create_client = record_client

import app
from chalicelib.config import get_settings

print(json.dumps({"packages": sorted({name.split(".")[0] for name in sys.modules}),
                  "modules": sorted(name for name in sys.modules if name.startswith("chalicelib")),
                  "dataclasses": made, "connections": connections, "clients": clients,
                  "settings_built": get_settings.cache_info().currsize}))
"""


@pytest.fixture(scope="module")
def imported() -> dict:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("AWS_") and key != "SECRET_KEY"}
    environment.update(AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_DEFAULT_REGION="us-east-1",
                       AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_importing_the_app_loads_no_library_that_only_some_requests_use(imported):
    loaded = {name: why for name, why in ON_FIRST_USE.items() if name in imported["packages"]}
    assert not loaded, (f"imported by `import app`: {loaded}; import them inside the function "
                        "that uses them (README, Benchmarks)")


def test_importing_the_app_makes_no_aws_client_and_no_connection(imported):
    assert imported["clients"] == [] and imported["connections"] == []


def test_importing_the_app_reads_no_settings(imported):
    """Settings are read on first use, so a configuration mistake fails a request, not the
    import, and the import does not pay for reading them."""
    assert imported["settings_built"] == 0


def test_no_dataclass_is_built_while_the_app_imports(imported):
    """``@dataclass`` writes and compiles its methods when the module loads: ~0.5 ms of every
    cold start per frozen class.  Value types are ``typing.NamedTuple`` (or a plain class)."""
    assert imported["dataclasses"] == [], imported["dataclasses"]


def test_importing_the_app_loads_no_service_or_model_of_a_capability(imported):
    loaded = [name for name in imported["modules"]
              if name.count(".") == 2 and name.split(".")[1] not in ("core", "web")
              and not name.split(".")[2].startswith(LOADED_WITH_THE_ROUTES)
              and not name.startswith(LOADED_WITH_THE_APP)]
    assert loaded == [], (f"imported by `import app`: {loaded}; a routes module takes its "
                          "services with lazy.module, other capabilities through their face")
