"""The password lifecycle: forgotten-password reset, password change, phone verification
(docs/api.md "Accounts and sign-in", "The account").  ``request_reset`` always returns normally
(same 202 whatever happened, so it tells no one whether an email has an account);
``set_new_password`` is the one way a password changes, in one transaction that ends every
session.  Changing the password or the phone needs the current one (a stolen session must not
become a guessing oracle or swap the phone).
Why: docs/decisions/password-reset.md
"""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.accounts import activity, codes, passwords, reminders, service, sessions, store
from chalicelib.accounts.page_paths import RESET_PAGE_PATH
from chalicelib.accounts.service import InvalidOrExpiredCode
from chalicelib.config import get_settings
from chalicelib.core import clock
from chalicelib.core.errors import RateLimited
from chalicelib.core.identity import Client, Principal
from chalicelib.core.logs import log_event
from chalicelib.core.store import failed_conditions
from chalicelib.core.notify import notifier, queue_decoy
from chalicelib.core.ratelimit import RatePolicy
from chalicelib.core.i18n import _

PASSWORD_RESET = "password_reset"
PHONE_VERIFICATION = "phone_verification"


# --- forgotten password ---------------------------------------------------------------------

def request_reset(email: str, channel: str, client: Client) -> None:
    """Send a reset code (and link) if the email belongs to an active account; else nothing.
    An address without an active account costs the same reads and writes, on the subject
    ``service.stand_in_owner``, so timing reveals nothing either (docs/api.md, F8 of issue 9)."""
    email = service.canonical_email(email)
    account = store.account_by_email(email)
    active = account is not None and not account.disabled and account.email_verified
    owner = account.account_id if active else service.stand_in_owner(email)
    by_sms = active and channel == "sms" and account.phone_verified and bool(account.phone)
    used_channel = "sms" if by_sms else "email"
    if not RatePolicy.configured("password_reset_sends").hit(owner).allowed:
        # Logged, not written to the account's activity: anyone can repeat this request for
        # someone else's email, and the activity log keeps every event it is given.
        log_event("password_reset_not_sent", reason="rate_limited",
                  account_id=account.account_id if active else None)
        return
    try:
        issued = codes.issue(PASSWORD_RESET, owner, account_id=owner, with_token=not by_sms,
                             ttl_seconds=get_settings().password_reset_code_seconds)
    except codes.TooManyCodesSent:
        log_event("password_reset_not_sent", reason="too_many_codes",
                  account_id=account.account_id if active else None)
        return
    if not active:
        # As many writes as a send: the queue write (a decoy) and, in place of the activity
        # event, the stand-in's code written again.  It stays live, never sent, so guessing a
        # code for this address afterwards costs what it costs for a registered one.
        queue_decoy()
        codes.issue(PASSWORD_RESET, owner, account_id=None,
                    ttl_seconds=get_settings().password_reset_code_seconds)
        log_event("password_reset_not_sent", reason="no_active_account")
        return
    minutes = get_settings().password_reset_code_seconds // 60
    if by_sms:
        delivered = notifier().sms(account.phone, "password_reset", language=account.language,
                                   code=issued.code, minutes=minutes)
    else:
        delivered = notifier().email(account.email, "password_reset", language=account.language,
                                     full_name=account.full_name, code=issued.code,
                                     link=reset_link(issued.token), minutes=minutes)
    if not delivered:
        codes.withdraw(PASSWORD_RESET, account.account_id, issued)
    activity.record(account.account_id, "password_reset_requested", client,
                    outcome="success" if delivered else "send_failed", channel=used_channel)


def reset_link(token: str) -> str:
    """The emailed link: the token rides in the fragment, which browsers never send to a
    server, so it stays out of access logs, proxies and ``Referer`` headers."""
    return f"{get_settings().public_base_url.rstrip('/')}{RESET_PAGE_PATH}#token={quote(token)}"


def reset_with_token(token: str, new_password: str, client: Client) -> None:
    record = codes.live_token(PASSWORD_RESET, token)
    account = store.account_by_id(codes.owner_of(record)) if record else None
    if account is None or account.disabled:
        raise InvalidOrExpiredCode()
    password = _acceptable_password(new_password, account)
    _finish_reset(account, password, client, record, method="link")


def reset_with_code(email: str, code: str, new_password: str, client: Client) -> None:
    email = service.canonical_email(email)
    password = passwords.check_new_password(new_password, email)
    account = store.account_by_email(email)
    usable = account is not None and not account.disabled
    # An unusable address spends a guess on its stand-in, as a known one does on its code.
    record = codes.check(PASSWORD_RESET, account.account_id if usable else
                         service.stand_in_owner(email), code.strip())
    if record is None or not usable:
        raise InvalidOrExpiredCode()
    _finish_reset(account, password, client, record, method="code")


def _finish_reset(account: store.Account, password: str, client: Client, record, method: str):
    """The code is used up, the password set and the lockout cleared in one transaction, so
    a failure leaves the code working and the old password in place (the person retries)."""
    def use_code(transaction: TransactWrite) -> None:
        codes.use_in(transaction, record)
        store.delete_throttle_in(transaction, service.throttle_subject(account.email))

    try:
        set_new_password(account, password, client, event="password_reset", use_code=use_code,
                         method=method)
    except TransactWriteError as error:
        if failed_conditions(error) and not codes.is_live(PASSWORD_RESET, account.account_id):
            raise InvalidOrExpiredCode() from None  # used by a parallel request a moment ago
        raise


# --- password change ------------------------------------------------------------------------

def change_password(principal: Principal, current_password: str, new_password: str,
                    client: Client) -> None:
    try:
        account = service.reauthenticate(principal.account_id, current_password)
    except service.ReauthenticationRequired:
        activity.record(principal.account_id, "password_changed", client,
                        outcome="wrong_current_password")
        raise
    password = _acceptable_password(new_password, account)
    set_new_password(account, password, client, event="password_changed",
                     keep_session=sessions.current_session(principal))


def set_new_password(account: store.Account, password: str, client: Client, *, event: str,
                     keep_session: store.Session | None = None,
                     use_code: Callable[[TransactWrite], None] | None = None,
                     **detail: str) -> None:
    """Store an accepted password and end every session but ``keep_session`` (see module doc).

    Everything stored (hash, epoch, reminder day, the end of any reset code, the activity
    event, and ``use_code``'s writes) is one transaction; only the email follows, and its
    failure is tolerated.  So a failure either changed nothing or changed everything."""
    # Precise to the microsecond: remembered devices are bound to this value, so two changes
    # within one second must still differ.
    changed_at = clock.iso_precise()

    def also(transaction: TransactWrite) -> None:
        if use_code is not None:
            use_code(transaction)
        else:
            codes.revoke_in(transaction, PASSWORD_RESET, account.account_id)
        activity.record_in(transaction, account.account_id, event, client, **detail)

    store.bump_session_epoch(account, keep_session=keep_session, also=also,
                             password_hash=passwords.hash_password(password),
                             password_changed_at=changed_at,
                             reminder_due_day=reminders.due_day(account, changed_at))
    notifier().email(account.email, "password_changed", language=account.language,
                     full_name=account.full_name, changed_at=clock.iso())
    log_event(event, account_id=account.account_id)


def _acceptable_password(new_password: str, account: store.Account) -> str:
    return passwords.check_new_password(new_password, account.email, (account.full_name,))


# --- phone verification ---------------------------------------------------------------------

def start_phone_verification(account_id: str, phone: str, current_password: str) -> None:
    phone = service.validated_phone(phone)
    account = service.reauthenticate(account_id, current_password)
    decision = RatePolicy.configured("phone_verification_sends").hit(account_id)
    if not decision.allowed:
        raise RateLimited(_("Too many codes were sent to confirm a phone. Try again later."),
                          retry_after_seconds=decision.retry_after_seconds,
                          code="too_many_codes_sent")
    store.account_by_id(account_id).update(actions=[store.Account.pending_phone.set(phone)])
    issued = codes.issue(PHONE_VERIFICATION, account_id, account_id=account_id)
    delivered = notifier().sms(phone, "phone_verification", language=account.language,
                               code=issued.code,
                               minutes=get_settings().verification_code_seconds // 60)
    if not delivered:
        codes.withdraw(PHONE_VERIFICATION, account_id, issued)


def verify_phone(account_id: str, code: str, client: Client) -> None:
    account = store.account_by_id(account_id)
    phone = account.pending_phone
    if (not phone or not codes.consume(PHONE_VERIFICATION, account_id, code.strip())
            or not store.confirm_pending_phone(account, phone)):
        raise InvalidOrExpiredCode()
    activity.record(account_id, "phone_verified", client)
    notifier().email(account.email, "phone_changed", language=account.language,
                     full_name=account.full_name, phone=phone, changed_at=clock.iso())
