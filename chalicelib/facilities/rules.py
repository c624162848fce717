"""A facility's published money rules, read from ``Facility.rules`` (a plain map).
Pure logic, no storage: fees, deposit bounds and abuse thresholds, with docs/api.md's defaults for
missing keys.  Fees are flat per tier, so always whole cents; phone-account deposits have their
own schedule, empty by default (FCC 24-75).
Why: docs/decisions/deposits.md
"""
from __future__ import annotations

from typing import NamedTuple

from chalicelib.core import i18n

from chalicelib.core.i18n import _, format_money

ACCOUNTS = ("trust", "phone")


class FeeTier(NamedTuple):
    up_to_cents: int
    fee_cents: int


class MoneyRules(NamedTuple):
    min_cents: int = 100
    max_cents: int = 30000
    daily_cap_cents: int = 100000
    trust_fee_tiers: tuple[FeeTier, ...] = ()
    phone_fee_tiers: tuple[FeeTier, ...] = ()
    # Abuse signals (flag for review, never block): more distinct inmates paid by one sender in
    # a day than this, or more distinct senders paying one inmate in a day than that.
    flag_sender_inmates_per_day: int = 3
    flag_inmate_senders_per_day: int = 5

    @classmethod
    def from_map(cls, rules: dict) -> MoneyRules:
        defaults = cls()
        return cls(
            min_cents=int(rules.get("deposit_min_cents", defaults.min_cents)),
            max_cents=int(rules.get("deposit_max_cents", defaults.max_cents)),
            daily_cap_cents=int(rules.get("daily_cap_cents_per_sender", defaults.daily_cap_cents)),
            trust_fee_tiers=_tiers(rules.get("fee_tiers", [])),
            phone_fee_tiers=_tiers(rules.get("phone_fee_tiers", [])),
            flag_sender_inmates_per_day=int(rules.get(
                "flag_sender_distinct_inmates_per_day", defaults.flag_sender_inmates_per_day)),
            flag_inmate_senders_per_day=int(rules.get(
                "flag_inmate_distinct_senders_per_day", defaults.flag_inmate_senders_per_day)),
        )

    def tiers(self, account: str) -> tuple[FeeTier, ...]:
        return self.trust_fee_tiers if account == "trust" else self.phone_fee_tiers

    def fee_cents(self, account: str, amount_cents: int) -> int:
        tiers = self.tiers(account)
        for tier in tiers:
            if amount_cents <= tier.up_to_cents:
                return tier.fee_cents
        # Above every tier (a schedule that stops short of the maximum): the top tier's fee.
        return tiers[-1].fee_cents if tiers else 0

    def limit_problem(self, amount_cents: int, sender_total_today_cents: int) -> str | None:
        """Why this deposit breaks the facility's bounds, in the family's words and money
        conventions (the current language), or None."""
        if amount_cents < self.min_cents:
            return _("The smallest deposit this facility accepts is %(amount)s.",
                     amount=format_money(self.min_cents))
        if amount_cents > self.max_cents:
            return _("The largest deposit this facility accepts is %(amount)s.",
                     amount=format_money(self.max_cents))
        if sender_total_today_cents + amount_cents > self.daily_cap_cents:
            left = max(0, self.daily_cap_cents - sender_total_today_cents)
            return _("This facility allows %(cap)s per sender per day; you can still send "
                     "%(left)s today.", cap=format_money(self.daily_cap_cents),
                     left=format_money(left))
        return None

    def daily_cap_reached(self) -> str:
        """The sentence for a deposit refused because today's deposits reached the cap."""
        return _("This facility allows %(cap)s per sender per day, and today's deposits have "
                 "reached it.", cap=format_money(self.daily_cap_cents))

    def published(self) -> dict:
        """The limits and fee schedule as ``GET /v1/facilities`` shows them."""
        return {
            "deposit_limits": {"min_cents": self.min_cents, "max_cents": self.max_cents,
                               "daily_cap_cents": self.daily_cap_cents},
            "fee_schedule": [{"account": account, "up_to_cents": tier.up_to_cents,
                              "fee_cents": tier.fee_cents}
                             for account in ACCOUNTS for tier in self.tiers(account)],
        }


def _tiers(raw: list) -> tuple[FeeTier, ...]:
    tiers = [FeeTier(int(t["up_to_cents"]), int(t["fee_cents"])) for t in raw]
    return tuple(sorted(tiers, key=lambda tier: tier.up_to_cents))


def dollars(cents: int) -> str:
    """Display only, in English: the one money formatter (``i18n.format_money``) does it."""
    return i18n.format_money(cents, "en")
