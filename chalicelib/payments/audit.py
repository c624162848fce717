"""Recompute every ledger balance from its entries and compare (``make audit``, tests).
An offline tool: it Scans the small balances table, then Queries each account's entries;
then lists the card payments still unsettled at the processor (Queries of a sparse index).
Run it: ``python -m chalicelib.payments.audit``; exit status 1 when anything disagrees.
Why: docs/decisions/ledger.md
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

from chalicelib.payments import settlement
from chalicelib.payments.ledger import LedgerBalance, LedgerEntry
from chalicelib.payments.states import Unsettled

RETRIED = (Unsettled.CAPTURE, Unsettled.REFUND)  # the reconciliation job works these


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
    """Exit 1 when a balance disagrees or a card payment needs a person (captures and refunds
    the job is still retrying are listed, not failures)."""
    report = audit()
    print(f"accounts={report.accounts} entries={report.entries} "
          f"sum_of_balances_cents={report.total_cents} mismatches={len(report.mismatches)}")
    for mismatch in report.mismatches:
        print(mismatch)
    pending = settlement.unsettled()
    stuck = [item for item in pending if item.unsettled not in RETRIED]
    print(f"unsettled_card_payments={len(pending)} needing_a_person={len(stuck)}")
    for item in pending:
        print({"payment_id": item.payment_id, "journal_id": item.journal_id,
               "left_to_do": item.unsettled, "amount_cents": int(item.amount_cents),
               "attempts": int(item.attempts or 0), "next_try": item.retry_at})
    return 0 if report.ok and not stuck else 1


if __name__ == "__main__":
    sys.exit(main())
