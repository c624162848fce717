"""``make audit``: recompute every ledger balance of the local stack (or of the stack that
``AWS_ENDPOINT_URL`` and the shell's variables point at) and compare with the stored ones."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def apply_stage_environment(stage: str) -> None:
    """The stage's variables from .chalice/config.json, without overriding the shell's."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    values = {**config.get("environment_variables", {}),
              **config["stages"][stage].get("environment_variables", {})}
    for name, value in values.items():
        os.environ.setdefault(name, value)
    for name, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local",
                        "AWS_SECRET_ACCESS_KEY": "local",
                        "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}.items():
        os.environ.setdefault(name, value)


if __name__ == "__main__":
    apply_stage_environment(os.environ.get("STAGE", "dev"))
    from outbox import require_stack  # this folder is on sys.path when run as a script

    require_stack({"AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"]})
    sys.path.insert(0, str(ROOT))
    from chalicelib.payments.audit import main

    sys.exit(main())
