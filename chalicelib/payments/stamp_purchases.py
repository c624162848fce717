"""Stamp purchases (docs/api.md "Messages"): stamps are priced per facility and credited to the
family account's balance for that facility in the same transaction as the charge's journal
(card clearing -total, the facility's stamp sales +total), through ``stamps.credit``.
One ``TransactGetItems`` (idempotency record and facility) and one ``TransactWriteItems``."""
from __future__ import annotations

from pynamodb.transactions import TransactGet, TransactWrite

from chalicelib.accounts import record_activity_in
from chalicelib.core import clock
from chalicelib.core.errors import NotFound
from chalicelib.core.idempotency import Attempt, StoredResponse
from chalicelib.core.identity import Client, Principal
from chalicelib.core.logs import log_event
from chalicelib.core.store import read_together, resolved
from chalicelib.core.i18n import _
from chalicelib import facilities
from chalicelib.facilities import Facility
from chalicelib.payments import ledger, stamps
from chalicelib.payments.charging import charge
from chalicelib.payments.deposits import new_journal_id
from chalicelib.payments.processor import Authorization
from chalicelib.payments.states import PurchaseStatus

OPERATION = "POST /v1/stamps/purchase"


def purchase(buyer: Principal, client: Client, key: str, body: dict) -> StoredResponse:
    facility_id, quantity = body["facility_id"], body["quantity"]
    attempt = Attempt(buyer.account_id, key, OPERATION, body)
    futures = {}

    def reads(snapshot: TransactGet) -> None:
        attempt.read_in(snapshot)
        futures["facility"] = snapshot.get(Facility, facility_id)

    read_together(reads)
    replay = attempt.previous()
    if replay is not None:
        return replay
    facility = resolved(futures["facility"])
    if facility is None or facility.stamp_price_cents is None:  # no rules yet: sells nothing
        raise NotFound(_("No such facility."))
    price = int(facility.stamp_price_cents)
    total = price * quantity
    purchase_id, now = new_journal_id("stp_"), clock.iso()
    response = {"purchase_id": purchase_id, "facility_id": facility_id, "quantity": quantity,
                "unit_price_cents": price, "total_cents": total, "status": PurchaseStatus.COMPLETED,
                "created_at": now}

    def write(transaction: TransactWrite, authorization: Authorization) -> None:
        # Charged at the price read above only while the facility's rules are unchanged.
        facilities.check_rules_unchanged(transaction, facility, purchase_id)
        ledger.post(transaction, purchase_id, "stamps", now, [
            ledger.Posting(ledger.card_clearing(facility_id, purchase_id, now), -total),
            ledger.Posting(ledger.stamp_sales(facility_id, purchase_id, now), total),
        ], memo=f"{quantity} stamps for {buyer.account_id} ({authorization.authorization_id})")
        stamps.credit(transaction, buyer.account_id, facility_id, quantity)
        record_activity_in(transaction, buyer.account_id, "stamps_purchased", client,
                           purchase_id=purchase_id, facility_id=facility_id, quantity=quantity,
                           total_cents=total, payment_id=authorization.authorization_id)

    stored = charge(attempt, body["payment_method_token"], total, purchase_id, "stamps",
                    facility_id, write, response, refusal=lambda: facilities.rules_changed())
    if not stored.replayed:
        log_event("stamps_purchased", purchase_id=purchase_id, quantity=quantity)
    return stored


def balances(account_id: str) -> dict:
    return {"items": [{"facility_id": b.facility_id, "balance": int(b.balance)}
                      for b in stamps.balances(account_id)]}
