"""HTTP routes of money: deposits, stamp purchases, staff balances, refunds and review flags
(docs/api.md "Deposits", the stamps part of "eMessaging").

Every payments request is screened for card numbers before anything else reads it; money-moving
POSTs require an ``Idempotency-Key`` and replay the stored response for a repeated key (with an
``Idempotent-Replayed: true`` header, the body byte for byte the same).
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.core import lazy
from chalicelib.core.errors import InvalidRequest
from chalicelib.core.i18n import _
from chalicelib.payments import states
from chalicelib.payments.cards import refuse_card_numbers
from chalicelib.web.endpoint import PAGINATION, ApiRequest, Example, Header, endpoint
from chalicelib.web.schema import NULLABLE_STRING, named, obj, page_of, string, written_text

calling = lazy.module("chalicelib.payments.calling")
deposits = lazy.module("chalicelib.payments.deposits")
flags = lazy.module("chalicelib.payments.flags")
stamp_purchases = lazy.module("chalicelib.payments.stamp_purchases")
webhooks = lazy.module("chalicelib.payments.webhooks")

bp = Blueprint(__name__)

FAMILY = ("family",)
STAFF = ("staff",)
INTEGER = {"type": "integer"}
MAX_STAMPS_PER_PURCHASE = 100
CENTS = {"type": "integer", "minimum": 1, "maximum": 10_000_000}
ACCOUNT = string(enum=["trust", "phone"])
TOKEN = string(3, 255)
ID = string(1, 128)
REASON = written_text(1, 500)
MONEY_PROBLEMS = ("card_number_not_allowed", "payment_declined", "processor_unavailable",
                  "limit_exceeded", "not_found")

QUOTE = named("Quote", obj({"amount_cents": INTEGER, "fee_cents": INTEGER, "total_cents": INTEGER}))
DEPOSIT_RECEIPT = named(
    "DepositReceipt",
    obj(
        {
            "deposit_id": string(),
            "amount_cents": INTEGER,
            "fee_cents": INTEGER,
            "total_cents": INTEGER,
            "status": string(),
            "created_at": string(),
        }
    ),
)
DEPOSIT = named(
    "Deposit",
    obj(
        {
            "deposit_id": string(),
            "inmate_id": string(),
            "facility_id": string(),
            "account": string(),
            "amount_cents": INTEGER,
            "fee_cents": INTEGER,
            "total_cents": INTEGER,
            "status": string(),
            "created_at": string(),
            "refunded_at": NULLABLE_STRING,
            "card_refund": NULLABLE_STRING,
            "dispute": NULLABLE_STRING,
        }
    ),
)
STAMP_PURCHASE = named(
    "StampPurchase",
    obj(
        {
            "purchase_id": string(),
            "facility_id": string(),
            "quantity": INTEGER,
            "unit_price_cents": INTEGER,
            "total_cents": INTEGER,
            "status": string(),
            "created_at": string(),
        }
    ),
)
STAMP_BALANCES = named(
    "StampBalances",
    obj({"items": {"type": "array", "items": obj({"facility_id": string(), "balance": INTEGER})}}),
)
ENTRY = named(
    "LedgerEntry",
    obj(
        {
            "account": string(),
            "journal_id": string(),
            "kind": string(),
            "amount_cents": INTEGER,
            "at": string(),
            "memo": string(),
        }
    ),
)
INMATE_BALANCE = named(
    "InmateBalance",
    obj(
        {
            "inmate_id": string(),
            "facility_id": string(),
            "balances": obj({"trust_cents": INTEGER, "phone_cents": INTEGER}),
            "recent_entries": {"type": "array", "items": ENTRY},
        }
    ),
)
FLAG = named(
    "Flag",
    obj(
        {
            "flag_id": string(),
            "deposit_id": string(),
            "inmate_id": string(),
            "sender_account_id": string(),
            "amount_cents": INTEGER,
            "rule_codes": {"type": "array", "items": string()},
            "details": {"type": "object"},
            "status": string(),
            "created_at": string(),
            "decided_by": NULLABLE_STRING,
            "decided_at": NULLABLE_STRING,
            "decision_reason": NULLABLE_STRING,
        }
    ),
)


def _screened(request: ApiRequest) -> ApiRequest:
    refuse_card_numbers(request.body, request.query)
    return request


# Examples for the document (docs/api.md, GET /docs), shared by the operations that show them.
DEPOSIT_EXAMPLE = {
    "deposit_id": "dep_5f2c9a8e1b7d4c3a9e6f0b1d2c3a4e5f",
    "inmate_id": "inm_A1001",
    "facility_id": "demo-county",
    "account": "trust",
    "amount_cents": 5000,
    "fee_cents": 495,
    "total_cents": 5495,
    "status": "completed",
    "created_at": "2026-12-01T12:30:00Z",
    "refunded_at": None,
    "card_refund": None,
    "dispute": None,
}

FLAG_EXAMPLE = {
    "flag_id": "flg_2026-12-01T13:05:00Z_Tz4Xw8Lq2Nv6Rk0Pm3Bs7YA",
    "deposit_id": "dep_5f2c9a8e1b7d4c3a9e6f0b1d2c3a4e5f",
    "inmate_id": "inm_A1001",
    "sender_account_id": "acc_Q2hL9xv7RkT1mWb3ZpN5eA",
    "amount_cents": 5000,
    "rule_codes": ["sender_pays_many_inmates"],
    "details": {
        "inmates_paid_by_sender_today": 4,
        "senders_paying_inmate_today": 1,
    },
    "status": "pending",
    "created_at": "2026-12-01T13:05:00Z",
    "decided_by": None,
    "decided_at": None,
    "decision_reason": None,
}


@endpoint(bp, "GET", "/v1/deposits/quote", summary="The fee and total of a deposit, before paying",
          tag="deposits", roles=FAMILY,
          query=obj({"inmate_id": ID, "account": ACCOUNT, "amount_cents": CENTS}),
          response=QUOTE, problems=("limit_exceeded", "not_found", "card_number_not_allowed"),
          description=(
              "What a deposit would cost before paying: the facility's fee for this amount and the "
              "total charged to the card. Amounts outside the facility's limits answer 422 "
              '`limit_exceeded` with the reason.'),
          example=Example(
              params={"inmate_id": "inm_A1001", "account": "trust", "amount_cents": 5000},
              response={"amount_cents": 5000, "fee_cents": 495, "total_cents": 5495},
          ))
def quote(request: ApiRequest):
    query = _screened(request).query
    return deposits.quote(query["inmate_id"], query["account"], query["amount_cents"])


@endpoint(bp, "POST", "/v1/deposits", summary="Deposit money to an inmate's trust or phone account",
          tag="deposits", roles=FAMILY, status=201,
          body=obj({"account": string(enum=["trust", "phone", "calling"]), "amount_cents": CENTS,
                    "payment_method_token": TOKEN}, {"inmate_id": ID, "facility_id": ID}),
          response=DEPOSIT_RECEIPT, problems=MONEY_PROBLEMS, idempotent=True,
          description=(
              "Charges the card (a processor token, never a card number) and credits the inmate's "
              'trust or phone account in one ledger transaction; the sender gets an emailed '
              'receipt. Requires an `Idempotency-Key`: a retry with the same key and body replays '
              'the first answer (`Idempotent-Replayed: true`) and charges once. `account: '
              '"calling"` takes `facility_id` instead of `inmate_id` and funds the family\'s own '
              'prepaid calling balance at that facility, never with a fee.'),
          example=Example(
              params={"Idempotency-Key": "3f0c6a52-2b8e-4d1a-9c47-deposit-0001"},
              request={
                  "inmate_id": "inm_A1001",
                  "account": "trust",
                  "amount_cents": 5000,
                  "payment_method_token": "tok_visa",
              },
              response={
                  "deposit_id": "dep_5f2c9a8e1b7d4c3a9e6f0b1d2c3a4e5f",
                  "amount_cents": 5000,
                  "fee_cents": 495,
                  "total_cents": 5495,
                  "status": "completed",
                  "created_at": "2026-12-01T12:30:00Z",
              },
          ))
def make_deposit(request: ApiRequest):
    body = _screened(request).body
    wanted = "facility_id" if body["account"] == calling.CALLING else "inmate_id"
    if wanted not in body or ({"facility_id", "inmate_id"} - {wanted}) & body.keys():
        raise InvalidRequest(_("A calling deposit names facility_id; a trust or phone deposit "
                               "names inmate_id."),
                             errors=[{"field": wanted, "problem": _("is required")}])
    service = calling.deposit if body["account"] == calling.CALLING else deposits.deposit
    return service(request.principal, request.client, request.idempotency_key, body)


@endpoint(bp, "GET", "/v1/deposits", summary="Your deposits, newest first", tag="deposits",
          roles=FAMILY, query=obj(optional=PAGINATION), response=page_of(DEPOSIT),
          description=(
              "The family's own deposits, newest first."),
          example=Example(
              params={"limit": 20},
              response={
                  "items": [
                      DEPOSIT_EXAMPLE
                  ],
                  "next_cursor": None,
              },
          ))
def list_deposits(request: ApiRequest):
    return deposits.list_own(request.principal, request.query.get("limit", 20),
                             request.query.get("cursor"))


@endpoint(bp, "GET", "/v1/deposits/{deposit_id}", summary="One of your deposits", tag="deposits",
          roles=FAMILY, response=DEPOSIT, problems=("not_found",),
          description=(
              "One of the family's own deposits (another's answers 404), with its refund when staff "
              'reversed it. The receipt email links here through the app.'),
          example=Example(
              params={"deposit_id": "dep_5f2c9a8e1b7d4c3a9e6f0b1d2c3a4e5f"},
              response=DEPOSIT_EXAMPLE,
          ))
def get_deposit(request: ApiRequest, deposit_id: str):
    return deposits.get_own(request.principal, deposit_id)


@endpoint(bp, "POST", "/v1/stamps/purchase", summary="Buy message stamps for a facility",
          tag="messaging", roles=FAMILY, status=201,
          body=obj({"facility_id": ID, "quantity": {"type": "integer", "minimum": 1,
                                                    "maximum": MAX_STAMPS_PER_PURCHASE},
                    "payment_method_token": TOKEN}),
          response=STAMP_PURCHASE, problems=MONEY_PROBLEMS, idempotent=True,
          description=(
              'Buys message stamps for one facility (its `stamp_price_cents` each); one stamp sends '
              'one message. Idempotent like deposits.'),
          example=Example(
              params={"Idempotency-Key": "7d2e1b90-stamps-0001"},
              request={
                  "facility_id": "demo-county",
                  "quantity": 10,
                  "payment_method_token": "tok_visa",
              },
              response={
                  "purchase_id": "stp_9a8b7c6d5e4f40312a1b2c3d4e5f6a7b",
                  "facility_id": "demo-county",
                  "quantity": 10,
                  "unit_price_cents": 39,
                  "total_cents": 390,
                  "status": "completed",
                  "created_at": "2026-12-01T12:35:00Z",
              },
          ))
def purchase_stamps(request: ApiRequest):
    _screened(request)
    return stamp_purchases.purchase(request.principal, request.client, request.idempotency_key,
                                    request.body)


@endpoint(bp, "GET", "/v1/stamps", summary="Your stamp balances, per facility", tag="messaging",
          roles=FAMILY, response=STAMP_BALANCES,
          description=(
              "The family's stamps left, per facility."),
          example=Example(response={"items": [{"facility_id": "demo-county", "balance": 9}]}))
def stamp_balances(request: ApiRequest):
    return stamp_purchases.balances(request.principal.account_id)


@endpoint(bp, "GET", "/v1/staff/inmates/{inmate_id}/balance",
          summary="An inmate's trust and phone balances and recent entries", tag="staff",
          roles=STAFF, response=INMATE_BALANCE, problems=("not_found",),
          description=(
              "Staff see an inmate's trust and phone balances with the latest ledger entries."),
          example=Example(
              params={"inmate_id": "inm_A1001"},
              response={
                  "inmate_id": "inm_A1001",
                  "facility_id": "demo-county",
                  "balances": {"trust_cents": 5000, "phone_cents": 0},
                  "recent_entries": [
                      {
                          "account": "trust",
                          "journal_id": "dep_5f2c9a8e1b7d4c3a9e6f0b1d2c3a4e5f",
                          "kind": "deposit",
                          "amount_cents": 5000,
                          "at": "2026-12-01T12:30:00Z",
                          "memo": "deposit by acc_Q2hL9xv7RkT1mWb3ZpN5eA",
}
                  ],
              },
          ))
def inmate_balance(request: ApiRequest, inmate_id: str):
    return deposits.inmate_balance(request.principal, inmate_id)


@endpoint(bp, "POST", "/v1/staff/deposits/{deposit_id}/refund",
          summary="Reverse a deposit (at most once)", tag="staff", roles=STAFF,
          body=obj({"reason": REASON}), response=DEPOSIT,
          problems=("not_found", "already_refunded", "insufficient_balance",
                    "card_number_not_allowed"),
          description=(
              'Staff reverse a deposit of their facility, at most once: the ledger entry is '
              'reversed and the card refunded. Refused when the inmate has already spent the money '
              '(409 `insufficient_balance`).'),
          example=Example(
              params={"deposit_id": "dep_5f2c9a8e1b7d4c3a9e6f0b1d2c3a4e5f"},
              request={"reason": "Sent to the wrong inmate"},
              response={
                  **DEPOSIT_EXAMPLE,
                  "status": "refunded",
                  "refunded_at": "2026-12-01T14:00:00Z",
                  "card_refund": "sent",
              },
          ))
def refund_deposit(request: ApiRequest, deposit_id: str):
    _screened(request)
    return deposits.refund(request.principal, deposit_id, request.body["reason"])


@endpoint(bp, "GET", "/v1/staff/flags", summary="Deposits flagged for review at your facility",
          tag="staff", roles=STAFF, query=obj(optional=PAGINATION), response=page_of(FLAG),
          description=(
              "Deposits the abuse rules flagged at the staff's facility (one sender paying many "
              'inmates, many senders paying one), newest first.'),
          example=Example(
              params={"limit": 20},
              response={
                  "items": [
                      FLAG_EXAMPLE
                  ],
                  "next_cursor": None,
              },
          ))
def list_flags(request: ApiRequest):
    return flags.list_flags(request.principal, request.query.get("limit", 20),
                            request.query.get("cursor"))


@endpoint(bp, "POST", "/v1/staff/flags/{flag_id}/decision", summary="Clear or escalate a flag",
          tag="staff", roles=STAFF,
          body=obj({"decision": string(enum=list(states.FLAG_DECISIONS)), "reason": REASON}),
          response=FLAG, problems=("not_found", "already_decided"),
          description=(
              'Staff clear a flag (nothing wrong) or escalate it, with a reason kept in the flag.'),
          example=Example(
              params={"flag_id": "flg_2026-12-01T13:05:00Z_Tz4Xw8Lq2Nv6Rk0Pm3Bs7YA"},
              request={"decision": "cleared", "reason": "Grandmother paying for four grandchildren."},
              response={
                  **FLAG_EXAMPLE,
                  "status": "cleared",
                  "decided_by": "acc_Sf4Gh7Jk0Lz3Xc6Vb9Nm2QA",
                  "decided_at": "2026-12-01T15:00:00Z",
                  "decision_reason": "Grandmother paying for four grandchildren.",
              },
          ))
def decide_flag(request: ApiRequest, flag_id: str):
    return flags.decide(request.principal, flag_id, request.body["decision"],
                        request.body["reason"])


@endpoint(bp, "POST", "/v1/webhooks/stripe",
          summary="Stripe's events about refunds and disputes (signed by Stripe)", tag="webhooks",
          headers=(Header("Stripe-Signature", True,
                          description="Stripe's signature of the body: t=<time>,v1=<HMAC>"),),
          response=obj({"received": {"type": "boolean"}, "applied": {"type": "boolean"}}),
          problems=("invalid_signature",),
          description=(
              "Called by Stripe, not by clients: the body is a Stripe event as Stripe sends it. "
              "Accepted only with a valid `Stripe-Signature` (Stripe's scheme, 5 minutes of "
              "tolerance), else 400 `invalid_signature` and nothing changes. Disputes and refunds "
              "update the deposit and post the ledger journal; each event is applied once "
              "(`applied: false` for a replay or an event about another payment)."),
          example=Example(response={"received": True, "applied": True}))
def stripe_webhook(request: ApiRequest):
    """No bearer token: the signature, checked over the exact bytes received, is the proof.
    The body is a Stripe event as Stripe sends it (any fields), so it has no schema here."""
    return webhooks.receive(bp.current_request.raw_body or b"",
                            request.headers.get("stripe-signature"))
