"""Lazy faces and registrations (core.lazy, docs/decisions/cold-start.md): ``import app`` loads
no capability's services or models, yet every registry is complete when it is read.  The suite
itself loads every module up front (conftest), so the lazy path is checked in one fresh
interpreter, as a Lambda cold start runs it."""
from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

from chalicelib.core import datarights
from chalicelib.core.store import MODELS
from tests.test_cold_start_imports import LOADED_WITH_THE_APP
from tests.test_layers import CAPABILITIES, PACKAGE, ROOT

PROBE = """
import json
import app
from chalicelib.core import datarights, lazy
from chalicelib.core.store import MODELS

before = {"model_modules": sorted({model.__module__ for model in MODELS})}
holdings = sorted(holding.capability for holding in datarights.holdings())

from chalicelib.facilities import roster
released_before = len(roster._release_listeners)
roster._released("probe-facility", [], "probe-import")  # no one: the listeners touch no table
released = [listener.__module__ for listener in roster._release_listeners]

lazy.load_registrations("statement")
from chalicelib.calls import statements
sections = sorted(statements._SECTIONS)

from chalicelib.accounts import sessions
from chalicelib.facilities.roles import INMATE_ROLE
lazy.load_registrations("sessions")
kiosk = [INMATE_ROLE in sessions._HOLDER_LOADERS, INMATE_ROLE in sessions._SESSION_GUARDS]

lazy.load_registrations()
print(json.dumps({"before": before, "holdings": holdings, "released_before": released_before,
                  "released": released, "sections": sections, "kiosk": kiosk,
                  "tables": sorted(model.Meta.table_name for model in MODELS)}))
"""


@pytest.fixture(scope="module")
def cold() -> dict:
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_importing_the_app_registers_nothing_yet(cold):
    """Only core's, the authenticator's (accounts) and facilities' models load with the app
    (tests/test_cold_start_imports.py says why)."""
    assert [module for module in cold["before"]["model_modules"]
            if not module.startswith(("chalicelib.core.", *LOADED_WITH_THE_APP))] == []
    assert cold["released_before"] == 0


def test_every_holding_is_registered_when_the_registry_is_read(cold):
    assert cold["holdings"] == sorted(holding.capability for holding in datarights.holdings())
    assert {"accounts", "calls", "visits", "payments", "privacy"} <= set(cold["holdings"])


def test_every_model_is_registered_once_the_registrations_are_loaded(cold):
    """What the CloudFormation template (scripts/cfn_resources.py) and create_tables read."""
    assert cold["tables"] == sorted(model.Meta.table_name for model in MODELS)


def test_a_release_reaches_the_calls_then_the_visits_listeners(cold):
    assert cold["released"] == ["chalicelib.calls.service", "chalicelib.visits.lifecycle"]


def test_the_release_listeners_keep_the_faces_order_whatever_loaded_first():
    """A visits request may load visits' modules before a calls request loads calls': the
    listeners still run calls' first, as when every face registered on import."""
    probe = ("import json, app\n"
             "import chalicelib.visits.lifecycle, chalicelib.calls.service\n"
             "from chalicelib.facilities import roster\n"
             "roster._released('probe-facility', [], 'probe-import')\n"
             "print(json.dumps([listener.__module__ for listener in roster._release_listeners]))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == ["chalicelib.calls.service",
                                                         "chalicelib.visits.lifecycle"]


def test_the_statement_has_the_visits_section_and_kiosk_sessions_their_loader(cold):
    assert cold["sections"] == ["visits"]
    assert cold["kiosk"] == [True, True]


@pytest.mark.parametrize("capability", [c for c in CAPABILITIES
                                        if (PACKAGE / c / "__init__.py").exists()])
def test_every_name_of_a_face_resolves_and_nothing_else_is_exported(capability):
    face = importlib.import_module(f"chalicelib.{capability}")
    for name in face.__all__:
        assert getattr(face, name) is not None, name
    with pytest.raises(AttributeError):
        face.not_a_name_of_the_face  # noqa: B018

