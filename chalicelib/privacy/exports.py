"""A family's data export as the contract has it: ``POST /v1/account/export`` writes the whole
document (every page of ``service.export``) to the private bucket at once and answers its id;
``GET /v1/account/exports/{id}`` answers a presigned GET of it, valid 15 minutes.  The export
is gathered with Queries only and takes tens of calls even for a long history (bench_privacy),
so it is made in the request rather than by a queue; the object and its record go after a day.
Why: docs/decisions/data-rights.md
"""
from __future__ import annotations

import json

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib import media
from chalicelib.core import clock, datarights, secrets
from chalicelib.core.datarights import Holding
from chalicelib.core.errors import NotFound
from chalicelib.core.i18n import _
from chalicelib.core.store import BaseMeta, ExpiringModel, TableName, get_or_none, register
from chalicelib.privacy import service

KEPT_SECONDS = 24 * 60 * 60  # the bucket's lifecycle removes the object after a day too
URL_SECONDS = 15 * 60


class ExportsByAccount(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)


@register
class AccountExport(ExpiringModel):
    class Meta(BaseMeta):
        table_name = TableName("account-exports")

    export_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    status = UnicodeAttribute()  # ready (made in the request that asked for it)
    object_key = UnicodeAttribute()
    created_at = UnicodeAttribute()
    by_account = ExportsByAccount()


def request_export(account_id: str) -> dict:
    """Gather every page, store the document, remember where it is."""
    pages, cursor = [], None
    while True:
        page = service.export(account_id, cursor)
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    document = {**pages[0], "next_cursor": None,
                "data": {name: sections for page in pages for name, sections in page["data"].items()}}
    export_id = secrets.new_id("exp_")
    key = f"{account_id}/{export_id}.json"
    media.store_export(key, json.dumps(document, ensure_ascii=False).encode())
    record = AccountExport(export_id, account_id=account_id, status="ready", object_key=key,
                           created_at=clock.iso())
    record.set_expiry(clock.now() + KEPT_SECONDS)
    record.save()
    return {"export_id": export_id, "status": "ready"}


def export_status(account_id: str, export_id: str) -> dict:
    found = get_or_none(AccountExport, export_id)
    if found is None or found.is_expired() or found.account_id != account_id:
        raise NotFound(_("No such export (they are kept for a day)."), code="export_not_found")
    return {"export_id": export_id, "status": found.status,
            "url": media.export_url(found.object_key, URL_SECONDS),
            "expires_at": clock.iso(clock.now() + URL_SECONDS)}


def _export(account_id: str) -> dict[str, list[dict]]:
    return {"exports": [{"export_id": found.export_id, "created_at": found.created_at}
                        for found in AccountExport.by_account.query(account_id)]}


def _erase(account_id: str) -> None:
    for found in AccountExport.by_account.query(account_id):
        media.delete_export(found.object_key)
        found.delete()


# Nothing stays: exports are deleted with the account.
datarights.register(Holding("privacy", (AccountExport,), _export, _erase))
