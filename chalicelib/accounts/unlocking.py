"""Self-service unlock (api.md "Accounts and sign-in", finding 9 of the security review).

Anyone who knows an address can lock its account with five wrong passwords, over and over.  So
the failure that starts a lock emails the owner a link, ``<PUBLIC_BASE_URL>/unlock#token=...``:
a 256-bit token (``codes.issue``: stored as a digest, single use, ``UNLOCK_LINK_SECONDS`` of
life, a newer lock replaces it).  The token travels in the fragment, which browsers never send
to a server, so no log holds it; the page at ``/unlock`` posts it to ``POST /v1/auth/unlock``.
Only an active account (verified, not disabled) is emailed, and the email goes where the lock
is decided (``service.attempt_failed``), so an unknown address still costs the same.

Redeeming the token uses it up and clears the email's lockout in one transaction; a bad, used
or expired token is 400 ``invalid_or_expired_code``.  The person still needs the password (and
second factor) to sign in: the link only gives back the attempts an attacker took away.
"""
from __future__ import annotations

from urllib.parse import quote

from chalicelib.accounts import activity, codes, service, store
from chalicelib.accounts.codes import InvalidOrExpiredCode
from chalicelib.config import get_settings
from chalicelib.core import clock
from chalicelib.core.identity import Client
from chalicelib.core.logs import log_event
from chalicelib.core.notify import notifier
from chalicelib.core.store import write_together, written

UNLOCK = "account_unlock"
UNLOCK_PAGE_PATH = "/unlock"


def send_link(account: store.Account, locked_until: float) -> None:
    """Email the owner of a just-locked account a single-use unlock link."""
    if account.disabled or not account.email_verified:
        return
    seconds = get_settings().unlock_link_seconds
    issued = codes.issue(UNLOCK, account.account_id, account_id=None,  # a link, no code
                         with_token=True, ttl_seconds=seconds)
    delivered = notifier().email(account.email, "account_locked", full_name=account.full_name,
                                 link=unlock_link(issued.token), minutes=seconds // 60,
                                 lock_minutes=max(1, round((locked_until - clock.now()) / 60)))
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
