"""Account activity: an append-only log of authentication decisions and security changes
(docs/api.md "The account": ``GET /v1/account/activity``).

Events are written with a condition that the item does not exist and never updated, so history
cannot be rewritten through this module.  ``detail`` holds only non-secret facts (method names,
amounts, ids): never passwords, codes or tokens.
"""
from __future__ import annotations

from pynamodb.attributes import MapAttribute, UnicodeAttribute
from pynamodb.transactions import TransactWrite

from chalicelib.core import clock, secrets
from chalicelib.core.identity import Client
from chalicelib.core.store import (StoredModel, BaseMeta, TableName, append_only, decode_cursor, page,
                                   register)

TYPES = frozenset({
    "signup", "email_verified", "login_succeeded", "login_failed", "account_locked",
    "account_unlocked", "account_disabled", "account_enabled", "mfa_reset",
    "mfa_challenge_failed", "mfa_enabled", "mfa_disabled",
    "totp_replay_refused", "recovery_code_used", "new_device_login", "password_reset_requested",
    "password_reset", "password_changed", "phone_verified", "session_revoked", "logout",
    "refresh_token_reuse", "deposit_completed", "deposit_refunded", "stamps_purchased",
    "message_sent", "contact_requested",
    "email_change_requested", "email_changed", "recovery_codes_regenerated",
    "staff_invited", "invitation_accepted",
})


@register
@append_only
class ActivityEvent(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("activity")

    account_id = UnicodeAttribute(hash_key=True)
    # "<ISO time with microseconds>#<random>": sorts by time (events of one request keep their
    # order), unique even when two land in the same microsecond.
    event_key = UnicodeAttribute(range_key=True)
    type = UnicodeAttribute()
    at = UnicodeAttribute()
    ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(default="success")
    detail = MapAttribute(default=dict)


# Events are only ever created, never overwritten.
APPEND_ONLY = ActivityEvent.event_key.does_not_exist()


def record(account_id: str, event_type: str, client: Client | None = None,
           outcome: str = "success", **detail: object) -> None:
    new_event(account_id, event_type, client, outcome, **detail).save(condition=APPEND_ONLY)


def record_in(transaction: TransactWrite, account_id: str, event_type: str,
              client: Client | None = None, outcome: str = "success", **detail: object) -> None:
    """Like ``record``, as part of ``transaction``: the event exists if and only if the change
    it reports was committed (deposits, stamp purchases, messages)."""
    transaction.save(new_event(account_id, event_type, client, outcome, **detail),
                     condition=APPEND_ONLY)


def new_event(account_id: str, event_type: str, client: Client | None = None,
              outcome: str = "success", **detail: object) -> ActivityEvent:
    if event_type not in TYPES:
        raise ValueError(f"unknown activity type {event_type!r}")
    now = clock.now()
    at = clock.iso(now)
    # Microseconds keep events written within one second in the order they happened.
    event_key = f"{clock.iso_precise(now)}#{secrets.new_id()}"
    return ActivityEvent(account_id, event_key, type=event_type, at=at,
                         ip=client.ip if client else None,
                         user_agent=client.user_agent if client else None,
                         outcome=outcome, detail={k: v for k, v in detail.items() if v is not None})


def newest_first(account_id: str, limit: int, cursor: str | None) -> dict:
    """One page of the account's events, newest first (one Query, ``limit`` items at most)."""
    scope = f"activity:{account_id}"
    results = ActivityEvent.query(account_id, scan_index_forward=False, limit=limit,
                                  last_evaluated_key=decode_cursor(cursor, scope))
    return page(results, scope, render)


def render(event: ActivityEvent) -> dict:
    return {"type": event.type, "at": event.at, "ip": event.ip, "user_agent": event.user_agent,
            "outcome": event.outcome, "detail": event.detail.as_dict()}


def last_sign_in(account_id: str, look_back: int = 50) -> str | None:
    """When the account last signed in, from its newest ``look_back`` events (None if not among
    them): activity that keeps a calling balance alive (47 CFR 64.6130)."""
    for event in ActivityEvent.query(account_id, scan_index_forward=False, limit=look_back):
        if event.type == "login_succeeded":
            return event.at
    return None
