"""House totals, off the request path: a scheduled roll-up sums one UTC day's house accounts
(every facility's card clearing, deposit fees and stamp sales, on every stripe) into one
``HouseDay`` item; the operator's totals are the sum of the days (``house_totals``).
A run Queries the day's stripes of the sparse ``house_by_day`` index (keys only), then
BatchGets those balances: its cost follows the day's house accounts (at most facilities × kinds × stripes),
never the history.  Journals carry their own day, so a day rolled up after it ended is final.
Why: docs/scale.md ("House accounts")
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, UTC

from pynamodb.attributes import BooleanAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core import clock
from chalicelib.core.store import MONEY_STRIPES, BaseMeta, StoredModel, TableName, register
from chalicelib.payments.ledger import LedgerBalance, house_index_key, parse_house_account

HOUSE = "house"  # the one partition of HouseDay: a year is 365 small items, Queried whole
# A day is closed once rolled up this long after its end: no journal of it can still commit.
CLOSE_AFTER_SECONDS = 5 * 60


@register
class HouseDay(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("house-days")

    ledger = UnicodeAttribute(hash_key=True)
    day = UnicodeAttribute(range_key=True)  # YYYY-MM-DD (UTC)
    totals = MapAttribute(default=dict)  # kind ("card_clearing", ...) -> cents
    accounts = NumberAttribute(default=0)
    entries = NumberAttribute(default=0)
    rolled_up_at = UnicodeAttribute()
    closed = BooleanAttribute(default=False)

    def cents(self) -> dict[str, int]:
        raw = self.totals.as_dict() if isinstance(self.totals, MapAttribute) else self.totals
        return {kind: int(value) for kind, value in raw.items()}


def day_totals(day: str) -> tuple[Counter, int, int]:
    """(cents per kind, house accounts, entries) of one day, from its balances."""
    accounts = [found.account for stripe in range(MONEY_STRIPES)
                for found in LedgerBalance.house_by_day.query(house_index_key(day, f"{stripe:02d}"))]
    totals: Counter = Counter()
    entries = 0
    for balance in LedgerBalance.batch_get(accounts, consistent_read=True):
        totals[parse_house_account(balance.account).kind] += int(balance.balance_cents)
        entries += int(balance.entry_count)
    return totals, len(accounts), entries


def roll_up(day: str) -> HouseDay:
    totals, accounts, entries = day_totals(day)
    now = clock.now()
    ended = datetime.combine(date.fromisoformat(day) + timedelta(days=1), datetime.min.time(), UTC)
    record = HouseDay(HOUSE, day, totals=dict(totals), accounts=accounts, entries=entries,
                      rolled_up_at=clock.iso(now),
                      closed=now >= ended.timestamp() + CLOSE_AFTER_SECONDS)
    record.save()
    return record


def roll_up_recent() -> list[HouseDay]:
    """The scheduled job: every day from the newest one not yet closed (yesterday on a first
    run) through today, so a missed run is caught up by the next."""
    today = date.fromisoformat(clock.iso()[:10])
    newest = next(iter(HouseDay.query(HOUSE, scan_index_forward=False, limit=1)), None)
    if newest is None:
        start = today - timedelta(days=1)
    else:
        start = date.fromisoformat(newest.day) + timedelta(days=1 if newest.closed else 0)
    return [roll_up((start + timedelta(days=n)).isoformat())
            for n in range((today - start).days + 1)]


def rolled_up_days() -> list[HouseDay]:
    return list(HouseDay.query(HOUSE))


def house_totals() -> dict[str, int]:
    """Every house account's balance summed over facilities and days, as last rolled up."""
    totals: Counter = Counter()
    for record in rolled_up_days():
        totals.update(record.cents())
    return dict(totals)
