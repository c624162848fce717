"""Who is calling: the client's network facts and, once authenticated, the principal."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Client:
    ip: str
    user_agent: str


@dataclass(frozen=True)
class Principal:
    account_id: str
    role: str  # family | staff | admin | inmate
    session_id: str
    facility_id: str | None = None
