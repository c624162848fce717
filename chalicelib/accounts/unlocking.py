"""Self-service unlock (finding 9 of the security review): the failure that starts a lock
emails the owner a single-use link whose token travels in the URL fragment, so no server log
holds it.  Redeeming it clears the email's lockout in one transaction; the password (and second
factor) are still needed to sign in.
Why: docs/decisions/sign-in-hardening.md
"""
from __future__ import annotations

from urllib.parse import quote

from chalicelib.accounts import activity, codes, service, store
from chalicelib.accounts.codes import InvalidOrExpiredCode
from chalicelib.accounts.page_paths import UNLOCK_PAGE_PATH
from chalicelib.config import get_settings
from chalicelib.core import clock
from chalicelib.core.identity import Client
from chalicelib.core.logs import log_event
from chalicelib.core.notify import notifier
from chalicelib.core.store import write_together, written

UNLOCK = "account_unlock"


def send_link(account: store.Account, locked_until: float) -> None:
    """Email the owner of a just-locked account a single-use unlock link."""
    if account.disabled or not account.email_verified:
        return
    seconds = get_settings().unlock_link_seconds
    issued = codes.issue(UNLOCK, account.account_id, account_id=None,  # a link, no code
                         with_token=True, ttl_seconds=seconds)
    delivered = notifier().email(account.email, "account_locked", language=account.language,
                                 full_name=account.full_name, link=unlock_link(issued.token),
                                 minutes=seconds // 60, locked_until=clock.iso(locked_until))
    if not delivered:
        codes.withdraw(UNLOCK, account.account_id, issued)


def unlock_link(token: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}{UNLOCK_PAGE_PATH}#token={quote(token)}"


def unlock_with_token(token: str, client: Client) -> None:
    record = codes.live_token(UNLOCK, token)
    account = store.account_by_id(codes.owner_of(record)) if record else None
    if account is None:
        raise InvalidOrExpiredCode()

    def build(transaction) -> None:
        codes.use_in(transaction, record)
        store.delete_throttle_in(transaction, service.throttle_subject(account.email))
        activity.record_in(transaction, account.account_id, "account_unlocked", client,
                           by="unlock_link")

    if not written(lambda: write_together(build)):
        raise InvalidOrExpiredCode()  # used by a parallel request a moment ago
    log_event("account_unlocked", account_id=account.account_id, by="unlock_link")
