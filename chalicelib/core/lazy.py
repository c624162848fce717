"""Loading a capability's modules on first use, for the Lambda cold start.

``import app`` must import every routes module (Chalice registers routes by decorators), but a
cold start serves one request or one job: the models and services of the other capabilities
need not load (docs/decisions/cold-start.md).  Three tools:

* ``face``: a face's names resolved from their private modules on first access (PEP 562);
* ``module``: a routes module's handle on its services, imported on first attribute access;
* ``register_later``/``load_registrations``: what a capability registers below it (data-rights
  holdings, release listeners, statement sections, kiosk sessions) is done by a module the face
  names; a registry imports the modules named for it before it is read.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def face(package: str, names: dict[str, str]) -> Callable[[str], Any]:
    """The face's ``__getattr__``: ``names`` maps each module (relative to ``package``) to its
    exported names, written as in an import (``"add_section as add_statement_section"``)."""
    where: dict[str, tuple[str, str]] = {}
    for module, exported in names.items():
        for name in exported.split(","):
            original, separator, alias = name.partition(" as ")
            where[(alias or original).strip()] = (f"{package}.{module}", original.strip())

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, original = where[name]
        return getattr(importlib.import_module(module), original)

    return __getattr__


class _Module:
    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"


def module(name: str) -> Any:
    """The module ``name``, imported on first attribute access (the import system's lock makes
    that safe from several threads; patches of the real module are seen through it)."""
    return _Module(name)


# registry ("datarights", "release", "statement", "sessions") -> modules that register in it
_PENDING: dict[str, list[str]] = {}


def register_later(registry: str, module_name: str) -> None:
    """``module_name`` registers into ``registry`` when imported; it is imported before that
    registry is read (``load_registrations``), not when the face is."""
    modules = _PENDING.setdefault(registry, [])
    if module_name not in modules:
        modules.append(module_name)


def load_registrations(registry: str | None = None) -> None:
    """Import the modules named for ``registry`` (every registry: None), cheap once imported;
    each registry calls this before it is read, so it is complete whatever loaded before."""
    for name in [registry] if registry else list(_PENDING):
        for module_name in _PENDING.get(name, []):  # one imported here may name more
            importlib.import_module(module_name)
