"""A facility's call platform keys (api.md "Operating a facility", "Calls").

An admin issues a key per platform; the key, ``plk_<id>.<secret>`` with 256 random bits, is
shown once and stored as a SHA-256 digest, compared in constant time.  ``platform_by_key``
answers the telephony calls (``X-Platform-Key``): a key that is missing, malformed, unknown or
revoked gets one answer, ``platform_not_registered``.  Revoking is one write, seen at once.
"""
from __future__ import annotations

from chalicelib.core import clock, secrets
from chalicelib.core.errors import NotFound, Unauthenticated
from chalicelib.core.i18n import N_, _
from chalicelib.core.logs import log_event
from chalicelib.core.store import decode_cursor, page
from chalicelib.facilities import store

KEY_ID_PREFIX = "plk_"
MAX_KEY_LENGTH = 200


class PlatformNotRegistered(Unauthenticated):
    code = "platform_not_registered"
    title = N_("Platform not registered")

    def __init__(self) -> None:
        super().__init__(_("This key is not a registered call platform key."))


class PlatformKeyNotFound(NotFound):
    code = "platform_key_not_found"

    def __init__(self) -> None:
        super().__init__(_("No such platform key at this facility."))


def issue(facility_id: str, label: str, by: str, key: str | None = None) -> dict:
    """A new key of ``facility_id`` (returned once, in ``key``); ``by`` is the admin.  Only the
    demo seed gives ``key`` (``plk_<id>.<secret>``, from the environment; re-seeding replaces it)."""
    key_id = key.partition(".")[0] if key else secrets.new_id(KEY_ID_PREFIX)
    key = key or f"{key_id}.{secrets.new_token()}"
    record = store.PlatformKey(key_id, facility_id=facility_id, label=label.strip(),
                               key_digest=secrets.token_digest(key),
                               created_at=clock.iso_precise(), created_by=by)
    record.save(condition=None if by == "seed" else store.PlatformKey.key_id.does_not_exist())
    log_event("platform_key_issued", key_id=key_id, facility_id=facility_id, by=by)
    return {**render(record), "key": key}


def listing(facility_id: str, limit: int, cursor: str | None) -> dict:
    scope = f"platform-keys:{facility_id}"
    return page(store.platform_keys_of(facility_id, limit, decode_cursor(cursor, scope)), scope,
                render)


def revoke(facility_id: str, key_id: str, by: str) -> None:
    """Revoke at once; revoking a revoked key changes nothing."""
    record = store.platform_key(key_id)
    if record is None or record.facility_id != facility_id:
        raise PlatformKeyNotFound()
    if record.revoked_at is not None:
        return
    record.update(actions=[store.PlatformKey.revoked_at.set(clock.iso()),
                           store.PlatformKey.revoked_by.set(by)])
    log_event("platform_key_revoked", key_id=key_id, facility_id=facility_id, by=by)


def platform_by_key(key: str | None) -> store.PlatformKey:
    """The live platform key record ``key`` is (its ``facility_id`` says where the platform
    serves), or ``PlatformNotRegistered``."""
    key = key or ""
    key_id, _sep, secret = key.partition(".")
    record = (store.platform_key(key_id) if key_id.startswith(KEY_ID_PREFIX) and secret
              and len(key) <= MAX_KEY_LENGTH else None)
    if (record is None or record.revoked_at is not None
            or not secrets.same(record.key_digest, secrets.token_digest(key))):
        raise PlatformNotRegistered()
    return record


def render(record: store.PlatformKey) -> dict:
    return {"key_id": record.key_id, "facility_id": record.facility_id, "label": record.label,
            "created_at": record.created_at[:19] + "Z", "created_by": record.created_by,
            "revoked_at": record.revoked_at}
