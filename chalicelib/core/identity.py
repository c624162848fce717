"""Who is calling: the client's network facts and, once authenticated, the principal."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Client:
    ip: str
    user_agent: str
    # The key a kiosk sends with each request (``X-Kiosk-Key``): a secret, kept out of reprs.
    kiosk_key: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Principal:
    account_id: str
    role: str  # family | staff | admin | inmate | inmate_pin_change (a one-time PIN's session)
    session_id: str
    facility_id: str | None = None
    language: str | None = None  # the account's chosen language (None: the request's)
