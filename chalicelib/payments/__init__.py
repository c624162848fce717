"""Money: deposits to inmate trust and phone accounts, stamp purchases, refunds and abuse
signals, on an append-only double-entry ledger with idempotent, atomic writes; stamp balances;
the family's prepaid calling balance (holds and charges for calls, refunds).

This module is the capability's face: the names in ``__all__`` are what other packages may use.
Its names load on first use and its registrations before a registry is read
(``core.lazy``): importing the face costs a cold start nothing.
"""
from chalicelib.core import lazy

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

__getattr__ = lazy.face(__name__, {
    "calling": "AGENCY as AGENCY_PAYER, Payer, family_payer, inmate_payer, "
               "available_cents as payer_balance_cents, hold_in as hold_for_call_in, "
               "refund_balance as refund_calling_balance, settle_in as settle_call_in, "
               "spend_in as spend_calling_balance_in, statement_money as calling_statement_money, "
               "wallets_active_in as calling_wallets_active_in, "
               "work_idle_wallets as work_idle_calling_wallets",
    "deposits": "deposit_by_id",
    "house": "roll_up_recent as roll_up_house_accounts",
    "ledger": "inmate_account",
    "settlement": "reconcile as settle_card_payments",
    "stamps": "StampBalance, credit as credit_stamps, spend as spend_stamps",
    "visit_charges": "Funding, VisitCharge, pay_for_visit, settle_visit_refunds, "
                     "charge_of as visit_charge_of, export_charges as export_visit_charges, "
                     "refund_in as refund_visit_in, send_refund as send_visit_refund",
})
lazy.register_later("datarights", "chalicelib.payments.datarights")
