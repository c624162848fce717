"""Money: deposits to inmate trust and phone accounts, stamp purchases, refunds and abuse
signals, on an append-only double-entry ledger with idempotent, atomic writes; stamp balances;
the family's prepaid calling balance (holds and charges for calls, refunds).

This module is the capability's face: the names in ``__all__`` are what other packages may use.
"""
from chalicelib.payments import datarights as _datarights  # noqa: F401 (registers its Holding)
from chalicelib.payments.calling import AGENCY as AGENCY_PAYER
from chalicelib.payments.calling import Payer, family_payer, inmate_payer
from chalicelib.payments.calling import available_cents as payer_balance_cents
from chalicelib.payments.calling import hold_in as hold_for_call_in
from chalicelib.payments.calling import refund_balance as refund_calling_balance
from chalicelib.payments.calling import settle_in as settle_call_in
from chalicelib.payments.calling import spend_in as spend_calling_balance_in
from chalicelib.payments.calling import statement_money as calling_statement_money
from chalicelib.payments.calling import wallets_active_in as calling_wallets_active_in
from chalicelib.payments.calling import work_idle_wallets as work_idle_calling_wallets
from chalicelib.payments.deposits import deposit_by_id
from chalicelib.payments.house import roll_up_recent as roll_up_house_accounts
from chalicelib.payments.ledger import inmate_account
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
           "settle_visit_refunds", "visit_charge_of", "export_visit_charges",
           # calls: who pays, holds at authorisation, the one journal at the end, refunds
           "AGENCY_PAYER", "Payer", "family_payer", "inmate_payer", "payer_balance_cents",
           "hold_for_call_in", "settle_call_in", "refund_calling_balance",
           "work_idle_calling_wallets", "calling_statement_money", "calling_wallets_active_in",
           "inmate_account",
           # another service (video visits) paid from the family's calling balance
           "spend_calling_balance_in"]

