"""Money: deposits to inmate trust and phone accounts, stamp purchases, refunds and abuse
signals, on an append-only double-entry ledger with idempotent, atomic writes; stamp balances.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
"""
from chalicelib.payments import datarights as _datarights  # noqa: F401 (registers its Holding)
from chalicelib.payments.deposits import deposit_by_id
from chalicelib.payments.house import roll_up_recent as roll_up_house_accounts
from chalicelib.payments.settlement import reconcile as settle_card_payments
from chalicelib.payments.stamps import StampBalance
from chalicelib.payments.stamps import credit as credit_stamps
from chalicelib.payments.stamps import spend as spend_stamps

__all__ = ["StampBalance", "credit_stamps", "deposit_by_id", "roll_up_house_accounts",
           "settle_card_payments", "spend_stamps"]
