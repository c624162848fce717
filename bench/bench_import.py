"""(b) ``import app`` time divided by ``import boto3`` time, each in a fresh interpreter.

Every run is a new interpreter (this one's executable, the caller's environment) that times one
import with ``perf_counter``.  The runs alternate (app from the repository, app from a source-only
copy, boto3, ...) so drift lands on all; ratios are of medians.

Two conditions for the project's own code, because the answer depends on Python's bytecode
cache and the shell may set ``PYTHONDONTWRITEBYTECODE``:

* warm: from the repository root after one warm-up that writes ``__pycache__`` (a warm container
  or a developer machine);
* source only: from a fresh copy of ``app.py``, ``chalicelib/`` and ``.chalice/`` with bytecode
  writing off, so every project module is compiled on import, as on Lambda, whose read-only
  ``/var/task`` holds sources only (site-packages, boto3's included, have their ``.pyc`` in both).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.harness import ROOT, Sample, cpu, interleaved, wall

RUNS = 9
GOAL = 1.30
_TIMED_IMPORT = ("import time; t=time.perf_counter(); c=time.process_time(); import {module}; "
                 "print(time.perf_counter()-t, time.process_time()-c)")


def import_seconds(module: str, cwd: Path, env: dict[str, str]) -> Sample:
    """(wall, CPU) seconds of one import in a new interpreter."""
    result = subprocess.run([sys.executable, "-c", _TIMED_IMPORT.format(module=module)],
                            cwd=cwd, env=env, capture_output=True, text=True, check=True)
    wall_seconds, cpu_seconds = result.stdout.split()
    return float(wall_seconds), float(cpu_seconds)


def source_only_copy(target: Path) -> Path:
    no_cache = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copy2(ROOT / "app.py", target / "app.py")
    shutil.copytree(ROOT / "chalicelib", target / "chalicelib", ignore=no_cache)
    shutil.copytree(ROOT / ".chalice", target / ".chalice", ignore=shutil.ignore_patterns(
        "deployments", "venv"))
    return target


def run() -> list[tuple[str, float, str, str]]:
    env = dict(os.environ)
    writing_bytecode = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    not_writing_bytecode = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryDirectory(prefix="kinlink-bench-") as tmp:
        source_only = source_only_copy(Path(tmp))
        import_seconds("app", ROOT, writing_bytecode)  # warm-up: fills __pycache__, file cache
        import_seconds("boto3", ROOT, env)
        warm, cold, boto3 = interleaved(
            RUNS,
            lambda: import_seconds("app", ROOT, env),
            lambda: import_seconds("app", source_only, not_writing_bytecode),
            lambda: import_seconds("boto3", ROOT, env))
    goal = f"<= {GOAL:.2f}"
    rows = []
    for condition, app_times, note in (("warm .pyc", warm, ""),
                                       ("source only", cold, " (project code compiled on import)")):
        rows += [
            (f"(b) import app / import boto3 ({condition})", wall(app_times) / wall(boto3), goal,
             f"import app median {wall(app_times) * 1000:.0f} ms{note} / import boto3 median "
             f"{wall(boto3) * 1000:.0f} ms (CPU {cpu(app_times) * 1000:.0f} / "
             f"{cpu(boto3) * 1000:.0f} ms), {RUNS} fresh interpreters each"),
            (f"(b) same ({condition}), CPU time", cpu(app_times) / cpu(boto3), goal, ""),
        ]
    return rows
