"""HTTP routes of a family account's data rights (docs/decisions/data-rights.md).

The export as the contract has it (``POST /v1/account/export``, then a presigned link from
``GET /v1/account/exports/{id}``) and, for clients that would rather page, the same document
answered directly (``GET /v1/account/export``, pages of whole capabilities with a cursor); the
deletion answers 202 with what was refunded and what is kept.
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import privacy
from chalicelib.web.endpoint import ApiRequest, Example, endpoint
from chalicelib.web.schema import NULLABLE_STRING, PASSWORD, integer, named, obj, string

bp = Blueprint(__name__)

FAMILY = ("family",)
EXPORT = named("AccountExport", obj({
    "schema_version": integer(1), "account_id": string(), "generated_at": string(),
    "data": {"type": "object"}, "next_cursor": NULLABLE_STRING}))
KEPT = named("KeptRecord", obj({"record": string(), "reason": string(),
                                "retain_until": NULLABLE_STRING}))
DELETED = named("AccountDeleted", obj({
    "status": string(), "refunds": {"type": "object"},
    "kept": {"type": "array", "items": KEPT}}))
KEPT_EXAMPLE = [
    {"record": "Deposits, stamp purchases, refunds and card payments, by account id only",
     "reason": "Records of money moved are kept for audits, disputes and the law; they hold no "
               "email, name or phone.", "retain_until": "2033-11-30"},
    {"record": "Daily deposit totals used for limits",
     "reason": "They expire by themselves two days after the day they count.",
     "retain_until": None}]


@endpoint(bp, "GET", "/v1/account/export", summary="Everything held about the account",
          tag="account", roles=FAMILY, query=obj(optional={"cursor": string(1, 2048)}),
          response=EXPORT, problems=("invalid_request",),
          description=(
              'One JSON document with a schema_version holding every item the account owns or '
              'that names it, by capability and section (profile, sessions, activity, contacts, '
              'messages, deposits, stamp balances...). A large export comes in pages of whole '
              'capabilities: pass next_cursor back until it is null.'),
          example=Example(
              response={
                  "schema_version": 1, "account_id": "acc_3N8Qm2Lk0ZpA",
                  "generated_at": "2026-12-01T21:30:00Z",
                  "data": {"contacts": {"contacts": [{
                      "contact_id": "con_7Hq2", "inmate_id": "inm_A1001",
                      "inmate_name": "Marcus Reed", "status": "approved"}]},
                      "payments": {"deposits": [], "stamp_balances": [
                          {"facility_id": "demo-county", "balance": 3}], "review_flags": []}},
                  "next_cursor": None,
              }))
def export_account(request: ApiRequest):
    return privacy.export(request.principal.account_id, request.query.get("cursor"))


EXPORT_REQUESTED = named("AccountExportRequested", obj({"export_id": string(), "status": string()}))
EXPORT_READY = named("AccountExportStatus", obj({
    "export_id": string(), "status": string(), "url": string(), "expires_at": string()}))
EXPORT_ID = "exp_4Jd8Qx2mVt0Lk7Wz"


@endpoint(bp, "POST", "/v1/account/export", summary="Prepare a download of everything held",
          tag="account", roles=FAMILY, status=202, response=EXPORT_REQUESTED,
          description=(
              "Writes the whole export (the document `GET /v1/account/export` pages through) "
              "as one JSON file to private storage, kept a day; fetch it with "
              "`GET /v1/account/exports/{export_id}`."),
          example=Example(response={"export_id": EXPORT_ID, "status": "ready"}))
def request_export(request: ApiRequest):
    return privacy.request_export(request.principal.account_id)


@endpoint(bp, "GET", "/v1/account/exports/{export_id}", summary="A prepared export's link",
          tag="account", roles=FAMILY, response=EXPORT_READY, problems=("export_not_found",),
          description=(
              "The export's status and a presigned link to its JSON file, valid 15 minutes "
              "(ask again for a new one while the export is kept, a day). Another account's "
              "export is not found."),
          example=Example(params={"export_id": EXPORT_ID}, response={
              "export_id": EXPORT_ID, "status": "ready",
              "url": "https://kinlink-prod-media.s3.amazonaws.com/exports/acc_3N8Qm2Lk0ZpA/"
                     "exp_4Jd8Qx2mVt0Lk7Wz.json?X-Amz-Expires=900&X-Amz-Signature=...",
              "expires_at": "2026-12-01T21:45:00Z"}))
def export_status(request: ApiRequest, export_id: str):
    return privacy.export_status(request.principal.account_id, export_id)


@endpoint(bp, "DELETE", "/v1/account", summary="Delete the account", tag="account",
          roles=FAMILY, body=obj({"current_password": PASSWORD}), status=202, response=DELETED,
          problems=("reauthentication_required", "account_locked", "account_changed"),
          description=(
              'Deletes the signed-in family account once its password is typed again (a wrong '
              'one counts toward the lockout like a failed sign-in). Every session ends at once; '
              'unused stamps are refunded to the cards that bought them; personal data is erased '
              'or replaced by a pseudonym; money records are kept without personal data. The '
              'answer and the confirmation email list what is kept, why and until when. The '
              'address can sign up again afterwards.'),
          example=Example(
              request={"current_password": "Harbor-Lantern-Quill-88"},
              response={"status": "deleted", "refunds": {"stamp_refunds": [
                  {"facility_id": "demo-county", "stamps": 3, "amount_cents": 150,
                   "journal_id": "srf_2026-12-01T21:30:00Z_9x", "card_refund": "sent"}]},
                  "kept": KEPT_EXAMPLE}))
def delete_account(request: ApiRequest):
    return privacy.delete_account(request.principal.account_id, request.body["current_password"])
