"""Errors that tell the operator what to do (issue 12, item 7): the launcher with a port taken,
and the scripts that need a running stack started without one, each run as `make` runs them."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
# Each answer takes a fraction of a second; a hang (the old emulator start) fails here instead.
PATIENCE_SECONDS = 15


@pytest.fixture
def taken_port():
    """A port held by a listening socket of this test, as another program would hold it."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def unused_port() -> int:
    """A port nothing listens on (bound for a moment, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_script(name: str, **variables: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("AWS_ENDPOINT_URL", "API_", "MOTO_"))}
    environment.update(variables)
    return subprocess.run([sys.executable, str(SCRIPTS / name)], env=environment,
                          capture_output=True, text=True, timeout=PATIENCE_SECONDS)


def assert_one_sentence(result: subprocess.CompletedProcess, *fragments: str) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output, output
    for fragment in fragments:
        assert fragment in output, output
    return output


def test_run_with_the_emulator_port_taken_says_so_and_exits(taken_port):
    result = run_script("devserver.py", MOTO_PORT=str(taken_port), API_PORT=str(unused_port()))
    assert_one_sentence(result, f"Port {taken_port} on 127.0.0.1 (the embedded AWS emulator) "
                                "is already in use", f"`MOTO_PORT={taken_port + 1} make run`")
    assert "Kinlink local stack" not in result.stdout


def test_run_with_the_api_port_taken_says_so_before_starting_anything(taken_port):
    result = run_script("devserver.py", MOTO_PORT=str(unused_port()), API_PORT=str(taken_port))
    output = assert_one_sentence(result, f"Port {taken_port} on 127.0.0.1 (the API) is already "
                                         "in use", f"`API_PORT={taken_port + 1} make run`")
    assert "Tables:" not in output  # nothing was seeded: the check comes first


@pytest.mark.parametrize("script", ["walkthrough.py", "audit.py", "outbox.py"])
def test_scripts_without_a_stack_say_start_make_run_first(script):
    api, emulator = f"http://127.0.0.1:{unused_port()}", f"http://127.0.0.1:{unused_port()}"
    result = run_script(script, API_URL=api, AWS_ENDPOINT_URL=emulator)
    first = api if script == "walkthrough.py" else emulator
    assert_one_sentence(result, f"No local stack answers at {first}: start `make run` first",
                        "AWS_ENDPOINT_URL")


def test_walkthrough_names_the_emulator_when_only_the_api_answers(taken_port):
    emulator = f"http://127.0.0.1:{unused_port()}"
    result = run_script("walkthrough.py", API_URL=f"http://127.0.0.1:{taken_port}",
                        AWS_ENDPOINT_URL=emulator)
    assert_one_sentence(result, f"No local stack answers at {emulator}: start `make run` first "
                                "(or set API_URL / AWS_ENDPOINT_URL).")


def test_embedded_emulator_start_raises_instead_of_hanging(taken_port):
    sys.path.insert(0, str(SCRIPTS))
    from local_emulator import SerialMotoServer

    outcome: list[BaseException | None] = []

    def start() -> None:
        try:
            SerialMotoServer(ip_address="127.0.0.1", port=taken_port, verbose=False).start()
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001 (the outcome is the assertion)
            outcome.append(error)

    starter = threading.Thread(target=start, daemon=True)
    starter.start()
    starter.join(PATIENCE_SECONDS)
    assert outcome, "SerialMotoServer.start() hung on a taken port"
    assert isinstance(outcome[0], OSError)
