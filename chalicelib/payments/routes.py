"""HTTP routes of money: deposits, stamp purchases, staff balances, refunds and review flags
(api.md "Deposits", the stamps part of "eMessaging").

Every payments request is screened for card numbers before anything else reads it; money-moving
POSTs require an ``Idempotency-Key`` and replay the stored response for a repeated key (with an
``Idempotent-Replayed: true`` header, the body byte for byte the same).
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.payments import deposits, flags, stamp_purchases, webhooks
from chalicelib.payments.cards import refuse_card_numbers
from chalicelib.payments.stamp_purchases import MAX_STAMPS_PER_PURCHASE
from chalicelib.web.endpoint import PAGINATION, ApiRequest, Header, endpoint
from chalicelib.web.schema import NULLABLE_STRING, obj, page_of, string, written_text

bp = Blueprint(__name__)

FAMILY = ("family",)
STAFF = ("staff",)
INTEGER = {"type": "integer"}
CENTS = {"type": "integer", "minimum": 1, "maximum": 10_000_000}
ACCOUNT = string(enum=["trust", "phone"])
TOKEN = string(3, 255)
ID = string(1, 128)
REASON = written_text(1, 500)
MONEY_PROBLEMS = ("card_number_not_allowed", "payment_declined", "processor_unavailable",
                  "limit_exceeded", "not_found")

QUOTE = obj({"amount_cents": INTEGER, "fee_cents": INTEGER, "total_cents": INTEGER})
DEPOSIT_RECEIPT = obj({"deposit_id": string(), "amount_cents": INTEGER, "fee_cents": INTEGER,
                       "total_cents": INTEGER, "status": string(), "created_at": string()})
DEPOSIT = obj({"deposit_id": string(), "inmate_id": string(), "facility_id": string(),
               "account": string(), "amount_cents": INTEGER, "fee_cents": INTEGER,
               "total_cents": INTEGER, "status": string(), "created_at": string(),
               "refunded_at": NULLABLE_STRING, "card_refund": NULLABLE_STRING,
               "dispute": NULLABLE_STRING})
STAMP_PURCHASE = obj({"purchase_id": string(), "facility_id": string(), "quantity": INTEGER,
                      "unit_price_cents": INTEGER, "total_cents": INTEGER, "status": string(),
                      "created_at": string()})
STAMP_BALANCES = obj({"items": {"type": "array",
                                "items": obj({"facility_id": string(), "balance": INTEGER})}})
ENTRY = obj({"account": string(), "journal_id": string(), "kind": string(),
             "amount_cents": INTEGER, "at": string(), "memo": string()})
INMATE_BALANCE = obj({"inmate_id": string(), "facility_id": string(),
                      "balances": obj({"trust_cents": INTEGER, "phone_cents": INTEGER}),
                      "recent_entries": {"type": "array", "items": ENTRY}})
FLAG = obj({"flag_id": string(), "deposit_id": string(), "inmate_id": string(),
            "sender_account_id": string(), "amount_cents": INTEGER,
            "rule_codes": {"type": "array", "items": string()}, "details": {"type": "object"},
            "status": string(), "created_at": string(), "decided_by": NULLABLE_STRING,
            "decided_at": NULLABLE_STRING, "decision_reason": NULLABLE_STRING})


def _screened(request: ApiRequest) -> ApiRequest:
    refuse_card_numbers(request.body, request.query)
    return request


@endpoint(bp, "GET", "/v1/deposits/quote", summary="The fee and total of a deposit, before paying",
          tag="deposits", roles=FAMILY,
          query=obj({"inmate_id": ID, "account": ACCOUNT, "amount_cents": CENTS}),
          response=QUOTE, problems=("limit_exceeded", "not_found", "card_number_not_allowed"))
def quote(request: ApiRequest):
    query = _screened(request).query
    return deposits.quote(query["inmate_id"], query["account"], query["amount_cents"])


@endpoint(bp, "POST", "/v1/deposits", summary="Deposit money to an inmate's trust or phone account",
          tag="deposits", roles=FAMILY, status=201,
          body=obj({"inmate_id": ID, "account": ACCOUNT, "amount_cents": CENTS,
                    "payment_method_token": TOKEN}),
          response=DEPOSIT_RECEIPT, problems=MONEY_PROBLEMS, idempotent=True)
def make_deposit(request: ApiRequest):
    _screened(request)
    return deposits.deposit(request.principal, request.client, request.idempotency_key,
                            request.body)


@endpoint(bp, "GET", "/v1/deposits", summary="Your deposits, newest first", tag="deposits",
          roles=FAMILY, query=obj(optional=PAGINATION), response=page_of(DEPOSIT))
def list_deposits(request: ApiRequest):
    return deposits.list_own(request.principal, request.query.get("limit", 20),
                             request.query.get("cursor"))


@endpoint(bp, "GET", "/v1/deposits/{deposit_id}", summary="One of your deposits", tag="deposits",
          roles=FAMILY, response=DEPOSIT, problems=("not_found",))
def get_deposit(request: ApiRequest, deposit_id: str):
    return deposits.get_own(request.principal, deposit_id)


@endpoint(bp, "POST", "/v1/stamps/purchase", summary="Buy message stamps for a facility",
          tag="messaging", roles=FAMILY, status=201,
          body=obj({"facility_id": ID, "quantity": {"type": "integer", "minimum": 1,
                                                    "maximum": MAX_STAMPS_PER_PURCHASE},
                    "payment_method_token": TOKEN}),
          response=STAMP_PURCHASE, problems=MONEY_PROBLEMS, idempotent=True)
def purchase_stamps(request: ApiRequest):
    _screened(request)
    return stamp_purchases.purchase(request.principal, request.client, request.idempotency_key,
                                    request.body)


@endpoint(bp, "GET", "/v1/stamps", summary="Your stamp balances, per facility", tag="messaging",
          roles=FAMILY, response=STAMP_BALANCES)
def stamp_balances(request: ApiRequest):
    return stamp_purchases.balances(request.principal.account_id)


@endpoint(bp, "GET", "/v1/staff/inmates/{inmate_id}/balance",
          summary="An inmate's trust and phone balances and recent entries", tag="staff",
          roles=STAFF, response=INMATE_BALANCE, problems=("not_found",))
def inmate_balance(request: ApiRequest, inmate_id: str):
    return deposits.inmate_balance(request.principal, inmate_id)


@endpoint(bp, "POST", "/v1/staff/deposits/{deposit_id}/refund",
          summary="Reverse a deposit (at most once)", tag="staff", roles=STAFF,
          body=obj({"reason": REASON}), response=DEPOSIT,
          problems=("not_found", "already_refunded", "insufficient_balance",
                    "card_number_not_allowed"))
def refund_deposit(request: ApiRequest, deposit_id: str):
    _screened(request)
    return deposits.refund(request.principal, deposit_id, request.body["reason"])


@endpoint(bp, "GET", "/v1/staff/flags", summary="Deposits flagged for review at your facility",
          tag="staff", roles=STAFF, query=obj(optional=PAGINATION), response=page_of(FLAG))
def list_flags(request: ApiRequest):
    return flags.list_flags(request.principal, request.query.get("limit", 20),
                            request.query.get("cursor"))


@endpoint(bp, "POST", "/v1/staff/flags/{flag_id}/decision", summary="Clear or escalate a flag",
          tag="staff", roles=STAFF,
          body=obj({"decision": string(enum=list(flags.DECISIONS)), "reason": REASON}),
          response=FLAG, problems=("not_found", "already_decided"))
def decide_flag(request: ApiRequest, flag_id: str):
    return flags.decide(request.principal, flag_id, request.body["decision"],
                        request.body["reason"])


@endpoint(bp, "POST", "/v1/webhooks/stripe",
          summary="Stripe's events about refunds and disputes (signed by Stripe)", tag="webhooks",
          headers=(Header("Stripe-Signature", True,
                          description="Stripe's signature of the body: t=<time>,v1=<HMAC>"),),
          response=obj({"received": {"type": "boolean"}, "applied": {"type": "boolean"}}),
          problems=("invalid_signature",))
def stripe_webhook(request: ApiRequest):
    """No bearer token: the signature, checked over the exact bytes received, is the proof.
    The body is a Stripe event as Stripe sends it (any fields), so it has no schema here."""
    return webhooks.receive(bp.current_request.raw_body or b"",
                            request.headers.get("stripe-signature"))
