"""What media holds about an account, for export and erasure (core.datarights)."""
from __future__ import annotations

from chalicelib.core import datarights
from chalicelib.core.datarights import Holding
from chalicelib.media import objects, service, store


def export(account_id: str) -> dict[str, list[dict]]:
    """Every photo and VideoGram the account uploaded (no URLs: the export is read later)."""
    return {"media": [service.render(item) for item in store.of_account(account_id)]}


def erase(account_id: str) -> None:
    """The files and their records go; messages keep no copy of them."""
    for item in store.of_account(account_id):
        objects.delete_all(item.attachment_id)
        item.delete()


HOLDING = Holding(capability="media", models=(store.Attachment,), export=export, erase=erase)
datarights.register(HOLDING)
