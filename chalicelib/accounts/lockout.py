"""Lockout arithmetic (api.md "Lockout"), free of storage and HTTP.

After ``threshold`` consecutive failures an email is locked for ``base`` seconds; each further
lock of the same email doubles the wait, up to ``cap``.  The escalation is remembered for
``memory`` seconds after the last lock ends, then forgotten.
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.config import get_settings


@dataclass(frozen=True)
class LockoutPolicy:
    threshold: int
    base_seconds: int
    cap_seconds: int
    memory_seconds: int

    @classmethod
    def from_settings(cls) -> LockoutPolicy:
        s = get_settings()
        return cls(s.lockout_threshold, s.lockout_base_seconds, s.lockout_max_seconds,
                   s.lockout_memory_seconds)

    def lock_seconds(self, previous_locks: int) -> int:
        """Length of the next lock, given how many locks are still remembered."""
        return min(self.cap_seconds, self.base_seconds * 2 ** min(previous_locks, 32))

    def retry_after(self, locked_until: float | None, now: float) -> int:
        """Whole seconds still to wait (0 when not locked)."""
        if locked_until is None or locked_until <= now:
            return 0
        return max(1, int(-(-(locked_until - now) // 1)))
