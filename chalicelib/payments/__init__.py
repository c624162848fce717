"""Money: deposits to inmate trust and phone accounts, stamp purchases, refunds and abuse
signals, on an append-only double-entry ledger with idempotent, atomic writes; stamp balances.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
"""
from chalicelib.payments.deposits import deposit_by_id
from chalicelib.payments.house import roll_up_recent as roll_up_house_accounts
from chalicelib.payments.settlement import reconcile as settle_card_payments
from chalicelib.payments.stamps import StampBalance
from chalicelib.payments.stamps import credit as credit_stamps
from chalicelib.payments.stamps import spend as spend_stamps
from chalicelib.payments.visit_charges import (Funding, VisitCharge, pay_for_visit,
                                               settle_visit_refunds)
from chalicelib.payments.visit_charges import charge_of as visit_charge_of
from chalicelib.payments.visit_charges import export_charges as export_visit_charges
from chalicelib.payments.visit_charges import refund_in as refund_visit_in
from chalicelib.payments.visit_charges import send_refund as send_visit_refund

__all__ = ["StampBalance", "credit_stamps", "deposit_by_id", "roll_up_house_accounts",
           "settle_card_payments", "spend_stamps",
           # video visits: paid at booking, refunded by one journal each
           "Funding", "VisitCharge", "pay_for_visit", "refund_visit_in", "send_visit_refund",
           "settle_visit_refunds", "visit_charge_of", "export_visit_charges"]
