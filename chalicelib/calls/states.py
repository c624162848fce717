"""The states of a call and the words the platform API uses (api.md "Calls").

``StrEnum``: each member is the very string stored and sent.  A call moves ``authorized`` →
``ended`` (the platform's end) or ``released`` (never ended: its hold lapses), once, by a write
conditioned on ``authorized``.
"""
from __future__ import annotations

from enum import StrEnum


class CallStatus(StrEnum):
    AUTHORIZED = "authorized"
    ENDED = "ended"
    RELEASED = "released"


class EndCause(StrEnum):
    HANGUP = "hangup"
    TIME_LIMIT = "time_limit"
    SYSTEM = "system"
    NETWORK = "network"


# Drops that are not the caller's doing: the first minute of such a call costs nothing.
DROPS = (EndCause.SYSTEM, EndCause.NETWORK)


class Refusal(StrEnum):
    NUMBER_NOT_APPROVED = "number_not_approved"
    NO_BALANCE = "no_balance"
    OUTSIDE_HOURS = "outside_hours"
    BLOCKED = "blocked"
