"""docs/api.md, the project's own guide to the API: its generated endpoint table is current,
it names every endpoint, and the repository points at it rather than at a file outside."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from chalicelib.web.endpoint import ENDPOINTS

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "api.md"


def test_the_endpoint_table_is_current():
    sys.path.insert(0, str(ROOT / "scripts"))
    from api_guide import rendered

    guide = GUIDE.read_text()
    assert rendered(guide) == guide, "run python scripts/api_guide.py"


def test_the_guide_names_every_endpoint():
    guide = GUIDE.read_text()
    missing = [f"{s.method} {s.path}" for s in ENDPOINTS if f"`{s.method} {s.path}`" not in guide]
    assert missing == []


def test_nothing_in_the_repository_points_at_the_shared_contract():
    """Readers of the repository have docs/api.md; ../shared/api.md is not theirs to open."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    outside = re.compile(r"\.\./shared/|shared/api\.md")
    offenders = [name for name in tracked
                 if name.endswith((".py", ".md", ".html", ".txt", ".json", ".cfg", ".toml"))
                 and name != "tests/test_api_guide.py"
                 and outside.search((ROOT / name).read_text(encoding="utf-8", errors="ignore"))]
    assert offenders == []


def test_every_reference_to_a_section_of_the_guide_names_one_that_exists():
    headings = set(re.findall(r"^#+ (.+)$", GUIDE.read_text(), re.MULTILINE))
    tracked = subprocess.run(["git", "ls-files", "chalicelib", "scripts", "app.py", "README.md",
                              "docs"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    wrong = []
    for name in tracked:
        text = (ROOT / name).read_text(encoding="utf-8", errors="ignore")
        for quoted in re.findall(r'docs/api\.md "([^"\n]+)"((?:, "[^"\n]+")*)', text):
            names = [quoted[0], *re.findall(r'"([^"]+)"', quoted[1])]
            wrong += [(name, section) for section in names if section not in headings]
    assert wrong == []
