"""``python -m bench``: run every benchmark in one process and print one table of ratios.

Rows are ``(name, value, goal)`` or ``(name, value, goal, detail)``; ``goal`` reads like
``"<= 1.10"`` or ``">= 2"``, and is checked here.  Always exits 0: the table says which goals
are met.
"""
from __future__ import annotations

import importlib
import math
import operator
import re
import sys
import time

from bench.harness import prepare_environment

# bench_conflicts last: it serves the live stack on the test stage's settings.
MODULES = ("bench.bench_login", "bench.bench_import", "bench.bench_money",
           "bench.bench_messaging", "bench.bench_media", "bench.bench_visits", "bench.bench_privacy",
           "bench.bench_conflicts")
_COMPARISONS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt}
_GOAL = re.compile(r"^\s*(<=|<|>=|>)\s*([0-9.]+)")


def goal_met(value: float, goal: str) -> str:
    match = _GOAL.match(goal)
    if not match or math.isnan(value):
        return ""
    return "met" if _COMPARISONS[match.group(1)](value, float(match.group(2))) else "MISSED"


def main() -> int:
    prepare_environment()
    rows = []
    for module in map(importlib.import_module, MODULES):
        started = time.perf_counter()
        print(f"running {module.__name__} ...", flush=True)
        module_rows = module.run()
        print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
        rows += [tuple(row) + ("",) * (4 - len(row)) for row in module_rows]

    width = max(len(row[0]) for row in rows)
    print()
    print(f"{'benchmark':<{width}}  {'value':>8}  {'goal':<8}  verdict")
    print("-" * (width + 30))
    for name, value, goal, _detail in rows:
        if not math.isnan(value):
            print(f"{name:<{width}}  {value:>8.3f}  {goal:<8}  {goal_met(value, goal)}")
    print()
    for name, _value, _goal, detail in rows:
        if detail:
            print(f"{name}:\n  {detail}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
