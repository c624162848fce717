"""Sign-up, e-mail verification, sign-in and the profile (admin actions: ``admin``).

Enumeration resistance (docs/api.md): sign-up answers the same whether or not the email has an
account, and sign-in fails with one error for an unknown email and a wrong password.  Both paths
do the same bcrypt work.  Lockout is counted per email, known or not, and is checked before the
password, so a locked email costs no bcrypt time and reveals nothing.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

from chalicelib.accounts import activity, codes, mfa, passwords, reminders, store, unlocking
from chalicelib.accounts.codes import InvalidOrExpiredCode
from chalicelib.accounts.lockout import LockoutPolicy
from chalicelib.config import get_settings
from chalicelib.core import clock, i18n, secrets
from chalicelib.core.errors import (DomainError, Forbidden, InvalidCredentials, InvalidRequest,
                                    NotFound, ServiceUnavailable)
from chalicelib.core.identity import Client
from chalicelib.core.logs import log_event
from chalicelib.core.notify import notifier
from chalicelib.core.ratelimit import RatePolicy
from chalicelib.core.store import get_or_none
from chalicelib.core.i18n import N_, _

VERIFY_EMAIL = "verify_email"
# notify_messages and message_digest (one email a day instead of one per decision) are read
# by messaging; password_reminder is opt-in (see ``reminders``).
DEFAULT_PREFERENCES = {"password_reminder": False, "notify_messages": True,
                       "message_digest": False}


def canonical_email(email: str) -> str:
    """The form emails are matched in: NFKC, trimmed, lower-cased."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def validated_email(email: str, field: str = "email") -> str:
    from email_validator import EmailNotValidError, validate_email  # slow import, first use only

    try:
        checked = validate_email(canonical_email(email), check_deliverability=False)
    except EmailNotValidError:
        # The library's reason is English only: our own sentence, in the reader's language.
        raise InvalidRequest(
            _("%(field)s must be an email address like name@example.com.", field=field),
            errors=[{"field": field,
                     "problem": _("must be an email address like name@example.com")}]) from None
    return checked.normalized.lower()


def validated_phone(phone: str) -> str:
    """E.164, or a national format read as a US number (``503-555-0142``); answered as E.164."""
    import phonenumbers  # slow import, first use only

    try:
        parsed = phonenumbers.parse(phone, "US")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise InvalidRequest(_("phone must be a valid number, like +15035550142 or 503-555-0142."),
                             errors=[{"field": "phone", "problem": _("not a valid phone number")}])
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def throttle_subject(email: str) -> str:
    return secrets.keyed_digest(email, "login-throttle")


def stand_in_owner(email: str) -> str:
    """Who owns codes and counters for an address without a usable account: a keyed digest of
    it, never an account id.  Unknown addresses get the same reads and writes as known ones on
    this subject, so timing tells them apart no more than the answers do."""
    return secrets.keyed_digest(email, "unknown-address")


# --- sign-up ------------------------------------------------------------------------------

def sign_up(email: str, password: str, full_name: str, phone: str | None,
            language: str | None = None) -> None:
    """Always returns normally (the caller answers 202); what happened goes by email.

    Each sign-up of an address not verified yet is an attempt of its own (``SignupAttempt``):
    its code activates the password given with it, never another attempt's, so a second
    sign-up cannot take over the address its owner is about to verify.  Sign-up emails are
    limited per address (``signup_emails``) and codes per account (``codes.count_message``);
    over either limit nothing is sent and the answer is the same."""
    email = validated_email(email)
    full_name = clean_name(full_name)
    phone = validated_phone(phone) if phone else None
    language = chosen_language(language)
    password = passwords.check_new_password(password, email, (full_name,))
    password_hash = passwords.hash_password(password)  # on every path: equal time
    existing = store.account_by_email(email)
    if not RatePolicy.configured("signup_emails").hit(_address_subject(email, "signup")).allowed:
        log_event("signup_email_not_sent", reason="rate_limited")
        return
    # An invited staff address (unverified until its link is used) is taken, like a verified one.
    if existing is not None and (existing.email_verified or existing.role != "family"):
        notifier().email(email, "signup_attempt", language=existing.language,
                         full_name=existing.full_name)
        return
    account = existing or _new_unverified_account(email, full_name, phone, password_hash, language)
    try:
        codes.count_message(account.account_id)
    except codes.TooManyCodesSent:
        log_event("signup_email_not_sent", reason="too_many_codes", account_id=account.account_id)
        return
    code = _save_attempt(store.SignupAttempt(account.account_id, password_hash=password_hash,
                                             full_name=full_name, phone=phone, language=language))
    notifier().email(email, "verify_email", language=language, full_name=full_name, code=code,
                     minutes=get_settings().verification_code_seconds // 60)


def _new_unverified_account(email: str, full_name: str, phone: str | None, password_hash: str,
                            language: str | None) -> store.Account:
    """The account an address's first sign-up creates (unverified, so no one can sign in to
    it); a lost race returns the account the other sign-up created."""
    now = clock.iso()
    account = store.Account(secrets.new_id("acc_"), email=email, full_name=full_name,
                            phone=phone, password_hash=password_hash, language=language,
                            created_at=now, password_changed_at=now)
    try:
        store.create_account(account)
    except store.EmailTaken:
        return store.account_by_email(email)
    reminders.schedule_for(account)
    return account


def _save_attempt(attempt: store.SignupAttempt) -> str:
    """Store the attempt under a fresh code (a code already pending for this account is drawn
    again) and return the code."""
    attempt.set_expiry(clock.now() + get_settings().verification_code_seconds)
    while True:
        code = secrets.new_numeric_code()
        attempt.code_digest = codes.digest(VERIFY_EMAIL, attempt.account_id, code)
        if store.save_signup_attempt(attempt):
            return code


def verify_email(email: str, code: str) -> None:
    """Verify the address with the password of the attempt ``code`` belongs to.  Codes are
    counted per address, right or wrong, across re-sends (``verification_code_guesses``).  An
    unknown or already verified address looks its code up on its stand-in, as a pending one
    does on its account: the same reads, so timing says nothing either."""
    email = canonical_email(email)
    guess = RatePolicy.configured("verification_code_guesses").hit(_address_subject(email, "verify"))
    if not guess.allowed:
        raise InvalidOrExpiredCode()
    account = store.account_by_email(email)
    pending = account is not None and not account.email_verified and account.role == "family"
    owner = account.account_id if pending else stand_in_owner(email)
    attempt = get_or_none(store.SignupAttempt, owner,
                                codes.digest(VERIFY_EMAIL, owner, code.strip()))
    if (not pending or attempt is None or attempt.is_expired()
            or not store.complete_signup(account, attempt, clock.iso())):
        raise InvalidOrExpiredCode()
    log_event("email_verified", account_id=account.account_id)


def _address_subject(email: str, purpose: str) -> str:
    """An email address as a rate-limit subject: keyed, so the counters hold no addresses."""
    return secrets.keyed_digest(email, f"address-limit:{purpose}")


def clean_name(full_name: str) -> str:
    full_name = full_name.strip()
    if not full_name:
        raise InvalidRequest(_("full_name must not be empty."),
                             errors=[{"field": "full_name", "problem": _("must not be empty")}])
    return full_name


# --- sign-in ------------------------------------------------------------------------------

class EmailNotVerified(Forbidden):
    code = "email_not_verified"
    title = N_("Email not verified")

    def __init__(self) -> None:
        super().__init__(_("Confirm your email address with the code we sent before signing in."))


class AccountDisabled(Forbidden):
    code = "account_disabled"
    title = N_("Account disabled")

    def __init__(self) -> None:
        super().__init__(_("This account has been disabled. Contact support."))


def reserve_attempt(email: str, policy: LockoutPolicy) -> store.Reservation:
    """Take a slot of the email's failure budget before any secret is checked (429
    ``account_locked`` when none is left), so concurrent guesses cannot outrun the lockout."""
    return store.reserve_attempt(throttle_subject(email), policy, clock.now())


@contextmanager
def released_on_outage(reservation: store.Reservation) -> Iterator[None]:
    """Give the reserved slot back if a dependency failure (throttled or unreachable DynamoDB
    or KMS) or a bug ends the block, not a domain answer: only a wrong secret counts toward the
    lockout."""
    try:
        yield
    except Exception as error:
        if not isinstance(error, DomainError) or error.kind == ServiceUnavailable.kind:
            store.release_attempt(reservation)
        raise


def attempt_failed(reservation: store.Reservation, account: store.Account | None = None,
                   client: Client | None = None) -> None:
    """The reserved attempt was wrong: it stays counted.  The failure that starts a lock is
    written to the account's activity and the owner is emailed an unlock link (when the email
    has an account)."""
    if reservation.locked_until is None:
        return
    log_event("account_locked", until=reservation.locked_until)
    if account is not None:
        activity.record(account.account_id, "account_locked", client, outcome="failure",
                        until=clock.iso(reservation.locked_until))
        unlocking.send_link(account, reservation.locked_until)


def check_password(email: str, password: str,
                   client: Client | None = None) -> tuple[store.Account, store.Reservation]:
    """The account whose credentials these are, with every lockout rule applied, and the
    attempt's reservation, which the caller settles: ``store.clear_attempts`` once the sign-in
    is complete, ``store.release_attempt`` when a second factor must still be checked (knowing
    the password must not refill the budget for guessing the second factor)."""
    policy = LockoutPolicy.from_settings()
    email = canonical_email(email)
    reservation = reserve_attempt(email, policy)
    with released_on_outage(reservation):
        account = store.account_by_email(email)
    matches, needs_rehash = passwords.verify_password(password, account and account.password_hash)
    if not matches:
        attempt_failed(reservation, account, client)
        log_event("login_failed", known=account is not None)
        if account is not None:
            activity.record(account.account_id, "login_failed", client, outcome="failure",
                            reason="wrong_password")
        raise InvalidCredentials()
    if needs_rehash:
        with released_on_outage(reservation):
            account.update(actions=[
                store.Account.password_hash.set(passwords.hash_password(password))])
    if account.disabled or not account.email_verified:
        store.release_attempt(reservation)
        refusal = AccountDisabled() if account.disabled else EmailNotVerified()
        activity.record(account.account_id, "login_failed", client, outcome="failure",
                        reason=refusal.code)
        raise refusal
    return account, reservation


def authenticate_password(email: str, password: str) -> store.Account:
    """Password-only re-authentication: clears the failure count on success."""
    account, reservation = check_password(email, password)
    store.clear_attempts(reservation)
    return account


class ReauthenticationRequired(Forbidden):
    code = "reauthentication_required"
    title = N_("Current password is wrong")

    def __init__(self) -> None:
        super().__init__(_("Your current password is not correct, so nothing was changed."),
                         errors=[{"field": "current_password", "problem": _("is not correct")}])


def reauthenticate(account_id: str, current_password: str) -> store.Account:
    """The signed-in account, once its owner has typed the password again: what a stolen
    session alone must not do (change phone, email, password or second factor) asks for it.
    A wrong password counts toward the email's lockout like a failed sign-in (a session must
    not be a password-guessing oracle); a locked email gets ``account_locked``."""
    try:
        return authenticate_password(existing_account(account_id).email, current_password)
    except InvalidCredentials:
        raise ReauthenticationRequired() from None


# --- profile, preferences and admin -------------------------------------------------------

def profile(account_id: str) -> dict:
    account = existing_account(account_id)
    return {
        "account_id": account.account_id,
        "email": account.email,
        "full_name": account.full_name,
        "phone": account.phone,
        "role": account.role,
        "language": account.language,
        "facility_id": account.facility_id,
        "email_verified": account.email_verified,
        "mfa": mfa.status(account.account_id),
        "password_changed_at": account.password_changed_at,
        "preferences": preferences_of(account),
        "created_at": account.created_at,
    }


def chosen_language(tag: str | None) -> str | None:
    """The language an account chooses: one we speak, a regional tag read as its language
    (``es-MX`` is ``es``), None when not given; any other is refused naming the field."""
    if tag is None:
        return None
    language = i18n.supported(tag)
    if language is None:
        choices = ", ".join(i18n.LANGUAGES)
        raise InvalidRequest(_("language must be one of %(choices)s.", choices=choices),
                             errors=[{"field": "language",
                                      "problem": _("must be one of %(choices)s", choices=choices)}])
    return language


def update_profile(account_id: str, full_name: str | None, language: str | None) -> dict:
    """Change the name and/or the language (what is not given keeps its value)."""
    actions = []
    if full_name is not None:
        actions.append(store.Account.full_name.set(clean_name(full_name)))
    if language is not None:
        actions.append(store.Account.language.set(chosen_language(language)))
    if actions:
        existing_account(account_id).update(actions=actions)
    return profile(account_id)


def existing_account(account_id: str) -> store.Account:
    account = store.account_by_id(account_id)
    if account is None:
        raise NotFound(_("No such account."))
    return account


def preferences_of(account: store.Account) -> dict:
    return {**DEFAULT_PREFERENCES, **account.preferences.as_dict()}


def update_preferences(account_id: str, changes: dict[str, bool]) -> dict:
    """Store the given preferences (others keep their value) and (re)schedule the password
    reminder accordingly."""
    account = existing_account(account_id)
    merged = {**preferences_of(account), **changes}
    account.update(actions=[store.Account.preferences.set(merged)])
    reminders.schedule_for(account)
    return preferences_of(account)

