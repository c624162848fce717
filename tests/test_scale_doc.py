"""docs/scale.md is what ``make scale-doc`` makes from the code's calls today (issue 13)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_the_committed_scale_page_is_current():
    """In a process of its own: the model runs its own emulator and counts every AWS call."""
    done = subprocess.run([sys.executable, "-m", "bench.scale_model", "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_the_conflict_model_reproduces_the_issue_figures():
    from bench.scale_model import _house_rates, conflict_share
    from chalicelib.core.store import MONEY_STRIPES

    peak = [conflict_share(_house_rates(1, stamps)[0] / 16) for stamps in (0.0, 1.0)]
    storm = [conflict_share(_house_rates(20, stamps)[0] / 16) for stamps in (0.0, 1.0)]
    assert [round(100 * p, 1) for p in peak] == [1.6, 3.1]  # the issue: 1.6–3.2%
    assert [round(100 * p) for p in storm] == [27, 46]  # the issue: 27–47%
    busiest_in_a_storm = conflict_share(_house_rates(20, 1.0)[1] / MONEY_STRIPES)
    assert busiest_in_a_storm < 0.005
