"""The facility's registered kiosks (docs/api.md "Kiosks and inmates").

Staff issue a key per device; the key, ``<kiosk_id>.<secret>`` with 256 random bits, is shown
once and stored as a SHA-256 digest.  Kiosk sign-in and every request of a kiosk session must
carry it (``X-Kiosk-Key``): a key that is missing, unknown, revoked or of another facility gets
one answer, ``kiosk_not_registered``.  Revoking is one write, seen by the next request.
"""
from __future__ import annotations

from chalicelib.core import clock, secrets
from chalicelib.core.errors import NotFound, Unauthenticated
from chalicelib.core.i18n import N_, _
from chalicelib.core.logs import log_event
from chalicelib.core.store import decode_cursor, page
from chalicelib.facilities import store

KIOSK_ID_PREFIX = "kio_"
PIN_PATTERN = r"^[0-9]{6,12}$"  # an inmate's kiosk PIN


class KioskNotRegistered(Unauthenticated):
    code = "kiosk_not_registered"
    title = N_("Kiosk not registered")

    def __init__(self) -> None:
        super().__init__(_("This device is not a registered kiosk of this facility. "
                           "Please ask staff for help."))


class KioskNotFound(NotFound):
    code = "kiosk_not_found"

    def __init__(self) -> None:
        super().__init__(_("No such kiosk at this facility."))


def new_key(kiosk_id: str) -> str:
    return f"{kiosk_id}.{secrets.new_token()}"


def register(facility_id: str, label: str, by: str, key: str | None = None) -> dict:
    """A new kiosk with its key (returned once); ``by`` is who registered it.  Only the demo
    seed gives ``key`` (``<kiosk_id>.<secret>``, from the environment)."""
    kiosk_id = key.partition(".")[0] if key else secrets.new_id(KIOSK_ID_PREFIX)
    key = key or new_key(kiosk_id)
    kiosk = store.Kiosk(kiosk_id, facility_id=facility_id, label=label.strip(),
                        key_digest=secrets.token_digest(key), created_at=clock.iso_precise(),
                        created_by=by)
    kiosk.save()
    log_event("kiosk_registered", kiosk_id=kiosk_id, facility_id=facility_id, by=by)
    return {**render(kiosk), "key": key}


def listing(facility_id: str, limit: int, cursor: str | None) -> dict:
    scope = f"kiosks:{facility_id}"
    return page(store.kiosks_of(facility_id, limit, decode_cursor(cursor, scope)), scope, render)


def revoke(facility_id: str, kiosk_id: str, by: str) -> None:
    """Revoke at once; revoking a revoked kiosk changes nothing."""
    kiosk = store.kiosk(kiosk_id)
    if kiosk is None or kiosk.facility_id != facility_id:
        raise KioskNotFound()
    if kiosk.revoked_at is not None:
        return
    kiosk.update(actions=[store.Kiosk.revoked_at.set(clock.iso()),
                          store.Kiosk.revoked_by.set(by)])
    log_event("kiosk_revoked", kiosk_id=kiosk_id, facility_id=facility_id, by=by)


def registered(key: str | None, facility_id: str) -> store.Kiosk:
    """The live kiosk of ``facility_id`` holding ``key``, or ``KioskNotRegistered``."""
    kiosk_id, _, secret = (key or "").partition(".")
    kiosk = (store.kiosk(kiosk_id) if kiosk_id.startswith(KIOSK_ID_PREFIX) and secret
             and len(key) <= 200 else None)
    if (kiosk is None or kiosk.revoked_at is not None or kiosk.facility_id != facility_id
            or not secrets.same(kiosk.key_digest, secrets.token_digest(key))):
        raise KioskNotRegistered()
    return kiosk


def render(kiosk: store.Kiosk) -> dict:
    return {"kiosk_id": kiosk.kiosk_id, "facility_id": kiosk.facility_id, "label": kiosk.label,
            "created_at": kiosk.created_at[:19] + "Z", "created_by": kiosk.created_by,
            "revoked_at": kiosk.revoked_at}
