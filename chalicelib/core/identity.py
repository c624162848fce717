"""Who is calling: the client's network facts and, once authenticated, the principal.

Value types on the import path are ``NamedTuple``s, not frozen dataclasses, whose generated
methods cost about 0.5 ms of every cold start each (docs/decisions/cold-start.md)."""
from __future__ import annotations

from typing import NamedTuple


class Client:
    """Not a tuple: the kiosk key (``X-Kiosk-Key``), a secret, stays out of reprs and of JSON."""

    __slots__ = ("ip", "user_agent", "kiosk_key")

    def __init__(self, ip: str, user_agent: str, kiosk_key: str | None = None) -> None:
        self.ip, self.user_agent, self.kiosk_key = ip, user_agent, kiosk_key

    def __repr__(self) -> str:
        return f"Client(ip={self.ip!r}, user_agent={self.user_agent!r})"


class Principal(NamedTuple):
    account_id: str
    role: str  # family | staff | admin | inmate | inmate_pin_change (a one-time PIN's session)
    session_id: str
    facility_id: str | None = None
    language: str | None = None  # the account's chosen language (None: the request's)
