"""Static checks that run with the suite: lint, security lint, exact runtime pins."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_ruff_finds_nothing():
    result = _run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_bandit_finds_no_high_severity_issue():
    result = _run("bandit", "-q", "-r", "app.py", "chalicelib", "-lll")
    assert result.returncode == 0, result.stdout + result.stderr


def test_runtime_requirements_pin_exact_versions():
    lines = [line.split("#", 1)[0].strip()
             for line in (ROOT / "requirements.txt").read_text().splitlines()]
    requirements = [line for line in lines if line]
    assert requirements
    for requirement in requirements:
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[A-Za-z0-9_.\-+]+", requirement), requirement
