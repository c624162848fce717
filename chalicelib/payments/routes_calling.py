"""HTTP routes of the family's prepaid calling balance (docs/api.md "Calls and the phone
account"); deposits to it go through ``POST /v1/deposits`` (``account: "calling"``)."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.core import lazy
from chalicelib.core.errors import NotFound
from chalicelib.core.i18n import _
from chalicelib.web.endpoint import ApiRequest, Example, endpoint
from chalicelib.web.schema import obj, string

calling = lazy.module("chalicelib.payments.calling")

bp = Blueprint(__name__)

INTEGER = {"type": "integer"}
FAMILY = ("family",)


@endpoint(bp, "GET", "/v1/calling/{facility_id}", summary="Your calling balance at a facility",
          tag="calls", roles=FAMILY,
          response=obj({"facility_id": string(), "balance_cents": INTEGER,
                        "held_cents": INTEGER}),
          description=("The family's prepaid calling balance at one facility and what calls in "
                       "progress hold of it."),
          example=Example(params={"facility_id": "demo-county"},
                          response={"facility_id": "demo-county", "balance_cents": 1980,
                                    "held_cents": 0}))
def balance(request: ApiRequest, facility_id: str):
    return calling.balances(request.principal.account_id, _facility(facility_id))


@endpoint(bp, "POST", "/v1/calling/{facility_id}/refund",
          summary="Refund your whole calling balance to your cards", tag="calls", roles=FAMILY,
          response=obj({"refund_id": {"type": ["string", "null"]}, "amount_cents": INTEGER,
                        "status": string(enum=["sent", "refund_pending"]),
                        "parts": {"type": "array", "items": obj(
                            {"deposit_id": string(), "amount_cents": INTEGER})}}),
          description=(
              "Returns the whole available balance to the cards that paid it, newest deposit "
              "first, at no cost. A card refund the network refuses stays owed to the family "
              "(`refund_pending`): money is never forfeited. A repeat refunds what is left "
              "(nothing, once the balance is zero)."),
          example=Example(params={"facility_id": "demo-county"},
                          response={"refund_id": "rfc_0b6f1e2d3c4a5b69788796a5b4c3d2e1",
                                    "amount_cents": 1980, "status": "sent",
                                    "parts": [{"deposit_id": "dep_5f2c9a8e1b7d4c3a9e6f0b1d2c3a4e5f",
                                               "amount_cents": 1980}]}))
def refund(request: ApiRequest, facility_id: str):
    return calling.refund_balance(request.principal.account_id, _facility(facility_id),
                                  "requested")


def _facility(facility_id: str) -> str:
    if len(facility_id) > 64:  # no facility id is that long (and DynamoDB refuses huge keys)
        raise NotFound(_("No such facility."))
    return facility_id
