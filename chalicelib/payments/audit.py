"""Recompute every ledger balance from its entries and compare (``make audit``, tests).
An offline tool: it Scans the small balances table, then Queries each account's entries.
Run it: ``python -m chalicelib.payments.audit``; exit status 1 when anything disagrees.
Why: docs/decisions/ledger.md
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

from chalicelib.payments.ledger import LedgerBalance, LedgerEntry


@dataclass
class AuditReport:
    accounts: int = 0
    entries: int = 0
    total_cents: int = 0
    mismatches: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches and self.total_cents == 0


def recompute(account: str) -> tuple[int, int]:
    """(sum of the account's entries, number of entries)."""
    amounts = [int(entry.amount_cents) for entry in LedgerEntry.query(account, consistent_read=True)]
    return sum(amounts), len(amounts)


def audit() -> AuditReport:
    report = AuditReport()
    for stored in LedgerBalance.scan(consistent_read=True):
        recomputed, count = recompute(stored.account)
        report.accounts += 1
        report.entries += count
        report.total_cents += recomputed
        if recomputed != int(stored.balance_cents) or count != int(stored.entry_count):
            report.mismatches.append({"account": stored.account,
                                      "stored_cents": int(stored.balance_cents),
                                      "recomputed_cents": recomputed,
                                      "stored_entries": int(stored.entry_count),
                                      "entries": count})
    return report


def main() -> int:
    report = audit()
    print(f"accounts={report.accounts} entries={report.entries} "
          f"sum_of_balances_cents={report.total_cents} mismatches={len(report.mismatches)}")
    for mismatch in report.mismatches:
        print(mismatch)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
