"""Data rights registry: each capability declares how to export and erase what it holds about an
account, so that privacy (export, deletion) walks one list and never imports upward.

Every stored model must be named by exactly one holding; a test fails on a model that none
names, so a new table cannot escape an export or an erasure.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple


class Holding(NamedTuple):
    """What one capability holds about an account.

    ``export(account_id)`` returns ``{section: [plain JSON items]}`` gathered with Queries only;
    ``erase(account_id)`` removes personal data or replaces it with a stable pseudonym, keeping
    money records; ``kept`` names (catalog ids, ``N_``) what stays after erasure and why.
    """
    capability: str
    models: tuple
    export: Callable[[str], dict[str, list[dict]]]
    erase: Callable[[str], None]
    kept: tuple[str, ...] = ()


_HOLDINGS: dict[str, Holding] = {}


def register(holding: Holding) -> None:
    """Called once from a capability's face; a second registration under a name replaces it."""
    _HOLDINGS[holding.capability] = holding


def holdings() -> list[Holding]:
    return list(_HOLDINGS.values())
