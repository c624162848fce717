"""Named rate-limit policies: at most ``limit`` hits per subject per window, numbers read
from configuration (``<name>_per_window``, ``<name>_window_seconds``).  Each hit is one atomic
``ADD`` conditioned on the window still running, so parallel requests cannot slip past.  A
store failure propagates: a limiter that lets requests through when it cannot count is no
limiter.
Why: docs/decisions/rate-limits.md
"""
from __future__ import annotations

from typing import NamedTuple

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.config import get_settings
from chalicelib.core import clock, secrets
from chalicelib.core.errors import RateLimited, minutes_to_wait
from chalicelib.core.i18n import ngettext
from chalicelib.core.store import (BaseMeta, ExpiringModel, TableName,
                                   expiry_update_actions, register, written)


@register
class RateCounter(ExpiringModel):
    class Meta(BaseMeta):
        table_name = TableName("rate-counters")

    key = UnicodeAttribute(hash_key=True)  # "<policy name>#<subject>"
    hits = NumberAttribute(default=0)


class RateDecision(NamedTuple):
    allowed: bool
    retry_after_seconds: int  # 0 when allowed


class RatePolicy(NamedTuple):
    name: str
    limit: int
    window_seconds: int

    @classmethod
    def configured(cls, name: str) -> RatePolicy:
        settings = get_settings()
        return cls(name, getattr(settings, f"{name}_per_window"),
                   getattr(settings, f"{name}_window_seconds"))

    def hit(self, subject: str) -> RateDecision:
        """Count one hit for ``subject`` and say whether it is within the limit."""
        now = int(clock.now())
        counter = RateCounter(f"{self.name}#{subject}")
        if not written(lambda: counter.update(actions=[RateCounter.hits.add(1)],
                                              condition=RateCounter.expires_at > now)):
            self._start_window(counter, now)
        if counter.hits <= self.limit:
            return RateDecision(True, 0)
        return RateDecision(False, max(1, counter.expires_at - now))

    def give_back(self, subject: str) -> None:
        """Undo one hit of ``subject``.  A counter left without hits is removed, so the window
        starts again with the next hit (a window counted from the first failure)."""
        counter = RateCounter(f"{self.name}#{subject}")
        if written(lambda: counter.delete(condition=RateCounter.hits == 1)):
            return
        # Refused when gone meanwhile: nothing to give back.
        written(lambda: counter.update(actions=[RateCounter.hits.add(-1)],
                                       condition=RateCounter.hits > 1))

    def _start_window(self, counter: RateCounter, now: int) -> None:
        if not written(lambda: counter.update(
                actions=[RateCounter.hits.set(1)]
                + expiry_update_actions(RateCounter, now + self.window_seconds),
                condition=RateCounter.expires_at.does_not_exist() | (RateCounter.expires_at <= now))):
            # A parallel request started the window a moment ago: count in that one.
            counter.update(actions=[RateCounter.hits.add(1)])


class SourceRateLimited(RateLimited):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            ngettext("Too many requests came from your network. Please try again in %(n)s "
                     "minute.",
                     "Too many requests came from your network. Please try again in %(n)s "
                     "minutes.", minutes_to_wait(retry_after_seconds)),
            retry_after_seconds=retry_after_seconds)


def limit_source(name: str, source_ip: str) -> None:
    """Count one request from ``source_ip`` against the policy ``source_<name>``; raise
    ``SourceRateLimited`` over the limit.  Nothing is counted with ``PER_SOURCE_LIMITS=off``.
    The address is kept as a keyed digest only, for the window's length."""
    if get_settings().per_source_limits == "off":
        return
    decision = RatePolicy.configured(f"source_{name}").hit(
        secrets.keyed_digest(source_ip, "source-address"))
    if not decision.allowed:
        raise SourceRateLimited(decision.retry_after_seconds)
