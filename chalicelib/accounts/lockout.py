"""Lockout arithmetic (docs/api.md "Limits"), free of storage and HTTP.

After ``threshold`` consecutive failures an email is locked for ``base`` seconds; each further
lock of the same email doubles the wait, up to ``cap``.  The escalation is remembered for
``memory`` seconds after the last lock ends, then forgotten.  A policy with ``hold_after_locks``
(kiosk PINs) makes that lock, counted within the memory, hold until someone unlocks it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from chalicelib.config import get_settings


@dataclass(frozen=True)
class LockoutPolicy:
    threshold: int
    base_seconds: int
    cap_seconds: int
    memory_seconds: int
    hold_after_locks: int | None = None

    @classmethod
    def from_settings(cls) -> LockoutPolicy:
        s = get_settings()
        return cls(s.lockout_threshold, s.lockout_base_seconds, s.lockout_max_seconds,
                   s.lockout_memory_seconds)

    @classmethod
    def for_inmates(cls) -> LockoutPolicy:
        """Kiosk PINs: the same counting, and the third lock holds until staff unlock."""
        return replace(cls.from_settings(), hold_after_locks=get_settings().inmate_hold_after_locks)

    def holds(self, locks: int) -> bool:
        """Whether the ``locks``-th remembered lock holds until unlocked."""
        return self.hold_after_locks is not None and locks >= self.hold_after_locks

    def lock_seconds(self, previous_locks: int) -> int:
        """Length of the next lock, given how many locks are still remembered."""
        return min(self.cap_seconds, self.base_seconds * 2 ** min(previous_locks, 32))

    def retry_after(self, locked_until: float | None, now: float) -> int:
        """Whole seconds still to wait (0 when not locked)."""
        if locked_until is None or locked_until <= now:
            return 0
        return max(1, int(-(-(locked_until - now) // 1)))
