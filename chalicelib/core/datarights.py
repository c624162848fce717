"""Data rights registry: each capability declares how to export and erase what it holds about an
account, so that privacy (export, deletion) walks one list and never imports upward.

Every stored model must be named by exactly one holding; a test fails on a model that none
names, so a new table cannot escape an export or an erasure.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from chalicelib.core import lazy


class Kept(NamedTuple):
    """One kind of record that stays after erasure: what (``record``) and why (``reason``),
    both catalog ids (``N_``), and how many ``days`` after the deletion it is kept (None: it
    expires by itself sooner, as ``reason`` says)."""
    record: str
    reason: str
    days: int | None = None


class Holding(NamedTuple):
    """What one capability holds about an account.

    ``export(account_id)`` returns ``{section: [plain JSON items]}`` gathered with Queries only;
    ``erase(account_id)`` removes personal data or replaces it with a stable pseudonym, keeping
    money records; ``kept`` names what stays after erasure, why and how long (``Kept``).
    ``settle(account_id)``, when given, runs before any erasure: refunds of what the
    account still owns (balances, booked visits), returning ``{section: [items]}`` to report.
    """
    capability: str
    models: tuple
    export: Callable[[str], dict[str, list[dict]]]
    erase: Callable[[str], None]
    kept: tuple = ()
    settle: Callable[[str], dict[str, list[dict]]] | None = None


_HOLDINGS: dict[str, Holding] = {}


def register(holding: Holding) -> None:
    """Called once from a capability's face; a second registration under a name replaces it."""
    _HOLDINGS[holding.capability] = holding


def holdings() -> list[Holding]:
    lazy.load_registrations("datarights")
    return list(_HOLDINGS.values())


def pseudonym(account_id: str) -> str:
    """The stable stand-in for an erased person's name: the same for every record of one
    account, saying nothing about who it was (account ids are random)."""
    return f"Former member {account_id[-6:].upper()}"
