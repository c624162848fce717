"""Money: deposits to inmate trust and phone accounts, stamp purchases, refunds and abuse
signals, on an append-only double-entry ledger with idempotent, atomic writes."""
