"""Recompute every ledger balance from its entries and compare (``make audit``, tests); check
every journal sums to zero, each closed roll-up day equals its house accounts' entries and no
one's account (inmate, calling balance, call holds) is below zero; list card payments unsettled
at the processor and calling refunds the card network refused (still owed to the family).
An offline tool: it Scans the small balances table, then Queries each account's entries.
Run it: ``python -m chalicelib.payments.audit``; exit status 1 when anything disagrees.
Why: docs/decisions/ledger.md, docs/scale.md ("House accounts")
"""
from __future__ import annotations

import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from chalicelib.payments import settlement
from chalicelib.payments.house import house_totals, rolled_up_days
from chalicelib.payments.calling import Owed, owed_refunds
from chalicelib.payments.ledger import (LedgerBalance, LedgerEntry, is_owned_account,
                                        parse_house_account)
from chalicelib.payments.states import Unsettled

RETRIED = (Unsettled.CAPTURE, Unsettled.REFUND)  # the reconciliation job works these


@dataclass
class AuditReport:
    accounts: int = 0
    entries: int = 0
    journals: int = 0
    total_cents: int = 0
    mismatches: list[dict] = field(default_factory=list)
    house_totals: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.mismatches and self.total_cents == 0


def audit() -> AuditReport:
    report = AuditReport()
    journals: Counter = Counter()
    house_days: dict[str, Counter] = defaultdict(Counter)
    for stored in LedgerBalance.scan(consistent_read=True):
        entries = list(LedgerEntry.query(stored.account, consistent_read=True))
        recomputed = sum(int(entry.amount_cents) for entry in entries)
        for entry in entries:
            journals[entry.journal_id] += int(entry.amount_cents)
        report.accounts += 1
        report.entries += len(entries)
        report.total_cents += recomputed
        house = parse_house_account(stored.account)
        if house is not None:
            house_days[house.day][house.kind] += recomputed
        if is_owned_account(stored.account) and recomputed < 0:  # someone's money: never below 0
            report.mismatches.append({"account": stored.account, "negative_cents": recomputed})
        if recomputed != int(stored.balance_cents) or len(entries) != int(stored.entry_count):
            report.mismatches.append({"account": stored.account,
                                      "stored_cents": int(stored.balance_cents),
                                      "recomputed_cents": recomputed,
                                      "stored_entries": int(stored.entry_count),
                                      "entries": len(entries)})
    report.journals = len(journals)
    report.mismatches += [{"journal_id": journal_id, "sum_cents": cents}
                          for journal_id, cents in journals.items() if cents != 0]
    report.mismatches += _roll_up_mismatches(house_days)
    report.house_totals = house_totals()
    return report


def _roll_up_mismatches(house_days: dict[str, Counter]) -> list[dict]:
    """Closed days of the roll-up whose totals differ from their house accounts' entries
    (an open day is only as fresh as its last run)."""
    found = []
    for record in rolled_up_days():
        expected = dict(house_days.get(record.day, {}))
        if record.closed and record.cents() != expected:
            found.append({"house_day": record.day, "rolled_up_cents": record.cents(),
                          "recomputed_cents": expected})
    return found


def main() -> int:
    """Exit 1 when a balance disagrees or a card payment needs a person (captures and refunds
    the job is still retrying are listed, not failures)."""
    report = audit()
    print(f"accounts={report.accounts} entries={report.entries} journals={report.journals} "
          f"sum_of_balances_cents={report.total_cents} mismatches={len(report.mismatches)}")
    print(f"house totals (rolled up): {report.house_totals}")
    for mismatch in report.mismatches:
        print(mismatch)
    pending = settlement.unsettled()
    stuck = [item for item in pending if item.unsettled not in RETRIED]
    print(f"unsettled_card_payments={len(pending)} needing_a_person={len(stuck)}")
    for item in pending:
        print({"payment_id": item.payment_id, "journal_id": item.journal_id,
               "left_to_do": item.unsettled, "amount_cents": int(item.amount_cents),
               "attempts": int(item.attempts or 0), "next_try": item.retry_at})
    owed = owed_refunds()
    another_way = [refund for refund in owed if refund.owed == Owed.ANOTHER_WAY]
    # Owed to families: the job retries what the processor could not take; what the card
    # network refused, a person pays out another way.
    print(f"calling_refunds_pending={len(owed)} needing_a_person={len(another_way)}")
    for refund in owed:
        print({"refund_id": refund.refund_id, "account_id": refund.account_id,
               "facility_id": refund.facility_id, "amount_cents": int(refund.amount_cents),
               "left_to_do": refund.owed, "attempts": int(refund.attempts or 0),
               "next_try": refund.retry_at if refund.owed == Owed.RETRY else None})
    return 0 if report.ok and not stuck and not another_way else 1


if __name__ == "__main__":
    sys.exit(main())
