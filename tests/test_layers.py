"""The import rules of the README's Layout section, read from the source with ``ast``.

A capability may import its own modules, the faces (``__init__``) of the capabilities below it,
``web`` (its routes only), ``core`` and ``config``; nothing imports upward. Only ``app.py``
imports a capability's ``routes`` modules. Print the figures with
``.venv/bin/python tests/test_layers.py [another checkout]``.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "chalicelib"
# Bottom to top; each layer may use only those before it.
# Peers of one row in the README's layer drawing (media, messaging, calls, visits, education) are put
# in one order here so that a peer never imports another by accident; move one if it must.
LAYERS = ("config", "core", "web", "accounts", "facilities", "contacts", "payments", "media",
          "messaging", "calls", "visits", "education", "support", "privacy", "app")
CAPABILITIES = LAYERS[3:-1]


def _layer(module: str) -> str:
    """``chalicelib.accounts.store`` -> ``accounts``; ``app`` -> ``app``."""
    parts = module.split(".")
    return parts[1] if parts[0] == "chalicelib" and len(parts) > 1 else parts[0]


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _sources() -> list[tuple[str, Path]]:
    found = [("app", ROOT / "app.py")]
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found.append((".".join(parts[:-1] if parts[-1] == "__init__" else parts), path))
    return found


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every chalicelib import, function-level ones included;
    ``from chalicelib.x import y`` counts as importing ``chalicelib.x.y`` when y is a module,
    and ``lazy.module("chalicelib.x.y")`` (imported on first use) as importing it."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "module" and getattr(node.func.value, "id", "") == "lazy"
                and node.args and isinstance(node.args[0], ast.Constant)):
            found.append((node.lineno, node.args[0].value))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.append((node.lineno, submodule if _is_module(submodule) else node.module))
    return sorted({(line, name) for line, name in found if name.split(".")[0] == "chalicelib"})


def violations() -> dict[str, list[str]]:
    """Broken rules by kind: ``private`` (another capability's non-face module), ``upward``
    (an arrow to the same or a higher layer, other than a package's own modules)."""
    found: dict[str, list[str]] = {"private": [], "upward": []}
    for importer, path in _sources():
        source = _layer(importer)
        for line, imported in imports(path):
            target = _layer(imported)
            where = f"{path.relative_to(ROOT)}:{line} imports {imported}"
            if target == source:
                continue
            if LAYERS.index(target) >= LAYERS.index(source):
                found["upward"].append(where)
            face = f"chalicelib.{target}"
            routes_from_app = source == "app" and imported.startswith(f"{face}.routes")
            if target in CAPABILITIES and imported != face and not routes_from_app:
                found["private"].append(where)
    return found


def test_no_import_of_another_capabilitys_private_module():
    assert violations()["private"] == []


def test_no_import_runs_up_the_layers():
    assert violations()["upward"] == []


def test_every_face_declares_what_it_exports():
    for capability in CAPABILITIES:
        face = PACKAGE / capability / "__init__.py"
        if not face.parent.exists():  # a layer reserved for a capability still to come
            continue
        tree = ast.parse(face.read_text())
        exported = [node for node in tree.body if isinstance(node, ast.Assign | ast.AnnAssign)
                    and any(getattr(target, "id", None) == "__all__"
                            for target in getattr(node, "targets", None) or [node.target])]
        assert exported, f"{capability}/__init__.py has no __all__"


def test_names_taken_from_a_face_are_in_its_all():
    for importer, path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.module
                    and _layer(node.module) in CAPABILITIES and node.module.count(".") == 1
                    and _layer(node.module) != _layer(importer)):
                continue
            face = __import__(node.module, fromlist=["__all__"])
            for alias in node.names:
                if _is_module(f"{node.module}.{alias.name}"):
                    continue  # a module, not a name: the rules on private modules apply
                assert alias.name in face.__all__, \
                    f"{path.relative_to(ROOT)}:{node.lineno}: {alias.name} not in {node.module}"


@pytest.mark.parametrize("source", [
    "from chalicelib.accounts.store import Account\n",
    'from chalicelib.core import lazy\n\nstore = lazy.module("chalicelib.accounts.store")\n'])
def test_the_rules_catch_a_private_import_and_an_upward_arrow(source):
    """The checker itself can fail: a planted bad module is reported twice, whether it imports
    now or on first use (``core.lazy.module``)."""
    bad = PACKAGE / "core" / "_layers_probe.py"
    bad.write_text(source)
    try:
        found = violations()
    finally:
        bad.unlink()
    assert any("_layers_probe.py" in line for line in found["private"])
    assert any("_layers_probe.py" in line for line in found["upward"])


if __name__ == "__main__":
    if len(sys.argv) > 1:  # measure another checkout (e.g. main before this change)
        ROOT = Path(sys.argv[1]).resolve()
        PACKAGE = ROOT / "chalicelib"
    result = violations()
    for kind, lines in result.items():
        print(f"{kind}: {len(lines)}")
        for line in lines:
            print(f"  {line}")
    sys.exit(1 if any(result.values()) else 0)
