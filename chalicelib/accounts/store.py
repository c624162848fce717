"""DynamoDB tables of the accounts capability and the writes that must be atomic
(accounts, account-emails, login-throttles, one-time-codes, signup-attempts, sessions,
account-tallies).  An email has one owner through a claim item written with the account;
"never disable the last admin" reads one tally item, not a Scan.
Why: docs/decisions/tables.md
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from pynamodb.attributes import (BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute,
                                 UnicodeAttribute)
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.transactions import TransactWrite

from chalicelib.core import clock
from chalicelib.core.errors import AccountHeld, AccountLocked
from chalicelib.core.store import (StoredModel, BaseMeta, ExpiringModel, TableName,
                                   expiry_update_actions, failed_conditions,
                                   get_or_none, register, write_together, written)


class ReminderDueIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_reminder_due"
        projection = KeysOnlyProjection()

    reminder_shard = UnicodeAttribute(hash_key=True)  # "00".."15" (reminders.py)
    reminder_due_day = UnicodeAttribute(range_key=True)  # "YYYY-MM-DD"


@register
class Account(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("accounts")

    account_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    full_name = UnicodeAttribute()
    role = UnicodeAttribute(default="family")
    facility_id = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    phone_verified = BooleanAttribute(default=False)
    # A number being verified (POST /v1/account/phone): it replaces ``phone`` only once its SMS
    # code comes back, so the verified number keeps receiving codes until then.
    pending_phone = UnicodeAttribute(null=True)
    # Likewise an address being verified (POST /v1/account/email), until its code comes back.
    pending_email = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)  # "en" | "es"; None: not chosen
    password_hash = UnicodeAttribute()
    email_verified = BooleanAttribute(default=False)
    disabled = BooleanAttribute(default=False)
    # Bumped to end every session at once (password change, reset, disable): a session is only
    # valid while it carries the account's current epoch.
    session_epoch = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    password_changed_at = UnicodeAttribute()
    preferences = MapAttribute(default=dict)
    # Set only while a password-age reminder is pending (see ``accounts.reminders``): the
    # sparse ``by_reminder_due`` index then holds just the accounts waiting for one, spread
    # over ``reminders.SHARDS`` keys (the account's shard, set with the first due day).
    reminder_due_day = UnicodeAttribute(null=True)
    reminder_shard = UnicodeAttribute(null=True)
    by_reminder_due = ReminderDueIndex()
    # Set when its owner deleted the account (privacy): the item stays as a pseudonymous
    # tombstone, so the money records that name the id keep pointing at something.
    deleted_at = UnicodeAttribute(null=True)


@register
class EmailClaim(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("account-emails")

    email = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()


@register
class LoginThrottle(ExpiringModel):
    class Meta(BaseMeta):
        table_name = TableName("login-throttles")

    subject = UnicodeAttribute(hash_key=True)
    failures = NumberAttribute(default=0)
    locks = NumberAttribute(default=0)
    locked_until = NumberAttribute(null=True)
    held = BooleanAttribute(null=True)  # set only on a lock that lasts until an unlock


@register
class OneTimeCode(ExpiringModel):
    class Meta(BaseMeta):
        table_name = TableName("one-time-codes")

    subject = UnicodeAttribute(hash_key=True)  # "<purpose>#<owner id>"
    code_digest = UnicodeAttribute()
    token_digest = UnicodeAttribute(null=True)  # for codes that also travel as a link
    attempts_left = NumberAttribute()
    created_at = NumberAttribute()


@register
class SignupAttempt(ExpiringModel):
    """One sign-up of an unverified address.  Its code is the key: verifying finds the attempt
    the code belongs to and applies that attempt's password, never another's."""

    class Meta(BaseMeta):
        table_name = TableName("signup-attempts")

    account_id = UnicodeAttribute(hash_key=True)
    code_digest = UnicodeAttribute(range_key=True)
    password_hash = UnicodeAttribute()
    full_name = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)


class LinkToken(ExpiringModel):
    """The opaque id of an emailed link, pointing at the code record it opens, so the link
    never names its account.  It lives in the ``one-time-codes`` table beside the codes (not
    registered: that table is OneTimeCode's), expires with its code and is swept with them."""

    class Meta(BaseMeta):
        table_name = TableName("one-time-codes")

    subject = UnicodeAttribute(hash_key=True)  # "link#<link id>"
    code_subject = UnicodeAttribute()  # the OneTimeCode it opens: "<purpose>#<owner id>"


class SessionsByAccount(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


@register
class Session(ExpiringModel):
    class Meta(BaseMeta):
        table_name = TableName("sessions")

    session_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    role = UnicodeAttribute()
    facility_id = UnicodeAttribute(null=True)
    epoch = NumberAttribute()
    access_digest = UnicodeAttribute()
    access_expires_at = NumberAttribute()
    refresh_digest = UnicodeAttribute()
    retired_refresh_digests = ListAttribute(of=UnicodeAttribute, default=list)
    created_at = NumberAttribute()
    last_used_at = NumberAttribute()
    revoked = BooleanAttribute(default=False)
    # A staff or admin sign-in without TOTP: the session may only enrol TOTP or log out
    # (``sessions.authenticate``) and lives ``mfa_enrollment_session_seconds``.
    mfa_enrollment_only = BooleanAttribute(default=False)
    ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    kiosk_id = UnicodeAttribute(null=True)  # the kiosk an inmate's session was opened on
    by_account = SessionsByAccount()


@register
class AccountTally(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("account-tallies")

    name = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)


ENABLED_ADMINS = "enabled_admins"


class EmailTaken(Exception):
    """The email already belongs to an account."""


class LastAdmin(Exception):
    """Disabling this admin would leave no enabled admin."""


class ConcurrentChange(Exception):
    """The account changed between reading it and writing it."""


def create_account(account: Account) -> None:
    claim = EmailClaim(account.email, account_id=account.account_id)

    def build(transaction: TransactWrite) -> None:
        transaction.save(claim, condition=EmailClaim.email.does_not_exist())
        transaction.save(account, condition=Account.account_id.does_not_exist())
        if account.role == "admin" and not account.disabled:
            transaction.update(AccountTally(ENABLED_ADMINS), actions=[AccountTally.count.add(1)])

    # Both conditions are "does not exist yet", so a failed condition means taken (throttling
    # is not: it propagates and the client retries).
    write_together(build, {EmailClaim: EmailTaken, Account: EmailTaken})


# The stand-in an unknown email reads in place of an account: never an account id (those start
# with ``acc_``), never claimed by an email, disabled.  Reading an item of the same shape makes
# the lookup take as long as for a registered address.
STAND_IN_ACCOUNT_ID = "stand-in"


def account_by_email(email: str) -> Account | None:
    """Two consistent reads of the same items' shapes whether or not the email has an account,
    so the time this takes says nothing about the address (docs/api.md: forgot, reset and verify
    answer in equal time).  ``None`` for an unknown email."""
    claim = get_or_none(EmailClaim, email)
    if claim is None:
        if account_by_id(STAND_IN_ACCOUNT_ID) is None:
            _write_stand_in()
        return None
    return account_by_id(claim.account_id)


def ensure_stand_in() -> None:
    """Write the stand-in unless it exists: on the first unknown email of a stage, or ahead
    (the local stack and the tests, so no request pays for it)."""
    if account_by_id(STAND_IN_ACCOUNT_ID) is None:
        _write_stand_in()


def _write_stand_in() -> None:
    now = clock.iso()
    stand_in = Account(STAND_IN_ACCOUNT_ID, email="stand-in@invalid", full_name="Stand-in",
                       password_hash="!" * 60, disabled=True, created_at=now,
                       password_changed_at=now)
    # Refused when a parallel request wrote it a moment ago.
    written(lambda: stand_in.save(condition=Account.account_id.does_not_exist()))


def account_by_id(account_id: str) -> Account | None:
    return get_or_none(Account, account_id)


def bump_session_epoch(account: Account, keep_session: Session | None = None,
                       also: Callable[[TransactWrite], None] | None = None, **changes) -> int:
    """End every session of the account (but ``keep_session``), applying ``changes`` to the
    account (``None`` removes the attribute), and whatever ``also`` adds, in the same
    transaction.  Returns the new epoch."""
    new_epoch = account.session_epoch + 1
    actions = [Account.session_epoch.set(new_epoch)]
    for name, value in changes.items():
        attribute = getattr(Account, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))

    def build(transaction: TransactWrite) -> None:
        transaction.update(account, actions=actions,
                           condition=Account.session_epoch == account.session_epoch)
        if keep_session is not None:
            transaction.update(keep_session, actions=[Session.epoch.set(new_epoch)],
                               condition=Session.revoked == False)  # noqa: E712 (PynamoDB DSL)
        if also is not None:
            also(transaction)

    write_together(build)
    account.session_epoch = new_epoch
    for name, value in changes.items():
        setattr(account, name, value)
    return new_epoch


def set_disabled(account: Account, disabled: bool) -> None:
    """Disable or enable the account, ending every session either way (one epoch bump).  An
    admin's change moves the enabled-admin tally in the same transaction, and a disable that
    would take it below one fails: ``LastAdmin``.  The epoch condition serialises concurrent
    changes of one account (``ConcurrentChange``), so the tally stays exact.  Enabling an
    enabled account changes nothing (its sessions go on)."""
    if not disabled and not account.disabled:
        return

    def tally(transaction: TransactWrite) -> None:
        if account.role != "admin" or bool(account.disabled) == disabled:
            return
        if disabled:
            transaction.update(AccountTally(ENABLED_ADMINS), actions=[AccountTally.count.add(-1)],
                               condition=AccountTally.count > 1)
        else:
            transaction.update(AccountTally(ENABLED_ADMINS), actions=[AccountTally.count.add(1)])

    try:
        bump_session_epoch(account, also=tally, disabled=disabled)
    except TransactWriteError as error:
        reasons = getattr(error.cause, "cancellation_reasons", None) or []
        refused = [reason is not None and reason.code == "ConditionalCheckFailed"
                   for reason in reasons]
        if refused[1:2] == [True]:
            raise LastAdmin() from None
        if refused[:1] == [True]:
            raise ConcurrentChange() from None
        raise


def activate_in(transaction: TransactWrite, account: Account, password_hash: str,
                changed_at: str) -> None:
    """An invited account's first password, its address verified, as part of ``transaction``;
    refused unless the account is still as invited (unverified, same session epoch)."""
    transaction.update(account, actions=[
        Account.password_hash.set(password_hash), Account.email_verified.set(True),
        Account.password_changed_at.set(changed_at),
        Account.session_epoch.set(account.session_epoch + 1)],
        condition=(Account.email_verified == False)  # noqa: E712 (PynamoDB DSL)
        & (Account.session_epoch == account.session_epoch))


def confirm_pending_phone(account: Account, phone: str) -> bool:
    """Make ``phone`` the account's verified number if it is still the pending one."""
    return written(lambda: account.update(
        actions=[Account.phone.set(phone), Account.phone_verified.set(True),
                 Account.pending_phone.remove()],
        condition=Account.pending_phone == phone))


# --- sign-up attempts and email changes ------------------------------------------------------

def save_signup_attempt(attempt: SignupAttempt) -> bool:
    """False if an attempt with the same code is pending already (then draw another code)."""
    return written(lambda: attempt.save(condition=SignupAttempt.code_digest.does_not_exist()))


def complete_signup(account: Account, attempt: SignupAttempt, changed_at: str) -> bool:
    """Verify the account with the password and details of ``attempt``, using the attempt up,
    in one transaction; False if the attempt was used or the account verified meanwhile."""
    actions = [Account.email_verified.set(True), Account.password_hash.set(attempt.password_hash),
               Account.password_changed_at.set(changed_at), Account.full_name.set(attempt.full_name)]
    for name in ("phone", "language"):
        value = getattr(attempt, name)
        actions.append(getattr(Account, name).set(value) if value else getattr(Account, name).remove())

    def build(transaction: TransactWrite) -> None:
        transaction.delete(attempt, condition=SignupAttempt.code_digest.exists())
        transaction.update(account, actions=actions,
                           condition=Account.email_verified == False)  # noqa: E712

    return written(lambda: write_together(build))


def change_email(account: Account, new_email: str,
                 also: Callable[[TransactWrite], None]) -> None:
    """Move the account to ``new_email`` (its pending address) with the claims: the new one
    taken, the old one released, plus ``also``'s writes, in one transaction.  Raises
    ``EmailTaken`` if another account holds the address; a ``TransactWriteError`` otherwise."""
    old_email = account.email

    def build(transaction: TransactWrite) -> None:
        transaction.save(EmailClaim(new_email, account_id=account.account_id),
                         condition=EmailClaim.email.does_not_exist())
        transaction.delete(EmailClaim(old_email),
                           condition=EmailClaim.account_id == account.account_id)
        transaction.update(account, actions=[Account.email.set(new_email),
                                             Account.pending_email.remove()],
                           condition=(Account.pending_email == new_email)
                           & (Account.email == old_email))
        also(transaction)

    try:
        write_together(build)
    except TransactWriteError as error:
        if failed_conditions(error) and _claimed_by_another(new_email, account.account_id):
            raise EmailTaken() from None
        raise
    account.email, account.pending_email = new_email, None


def _claimed_by_another(email: str, account_id: str) -> bool:
    claim = get_or_none(EmailClaim, email)
    return claim is not None and claim.account_id != account_id


# --- sign-in throttling ------------------------------------------------------------------

def throttle_for(subject: str) -> LoginThrottle | None:
    return get_or_none(LoginThrottle, subject)


class Reservation(NamedTuple):
    """One slot of a subject's failure budget, taken before its secret is checked.

    The slot counts as a failure unless ``release_attempt`` or ``clear_attempts`` gives it back.
    The last slot of the budget starts the lock at once (``locked_until``), so that no request
    can be evaluated while the last one is; ``before`` is the state to restore if that last
    attempt turns out right."""

    subject: str
    locked_until: float | None = None
    # failures, locks, locked_until, expires_at
    before: tuple[int, int, float | None, float | None] | None = None


RESERVE_TRIES = 5


def reserve_attempt(subject: str, policy, now: float) -> Reservation:
    """Take one slot of ``subject``'s failure budget atomically, or raise ``AccountLocked``.

    Whatever the concurrency, at most ``policy.threshold`` attempts are evaluated per lock
    window: the common case is one conditional ``ADD``; otherwise the item is read and
    rewritten conditioned on what was read (optimistic), retried a few times.  A held lock
    raises ``AccountHeld``."""
    live = (LoginThrottle.held.does_not_exist()
            & (LoginThrottle.locked_until.does_not_exist() | (LoginThrottle.locked_until <= now))
            & (LoginThrottle.failures.does_not_exist()
               | (LoginThrottle.failures < policy.threshold - 1))
            & (LoginThrottle.expires_at.does_not_exist() | (LoginThrottle.expires_at > now)))
    if written(lambda: LoginThrottle(subject).update(
            actions=[LoginThrottle.failures.add(1)] + _expiry_actions(now + policy.memory_seconds),
            condition=live)):
        return Reservation(subject)
    for _ in range(RESERVE_TRIES):
        reservation = _reserve_by_rewrite(subject, policy, now)
        if reservation is not None:
            return reservation
    raise AccountLocked(1)  # the budget is being fought over this very second


def _reserve_by_rewrite(subject: str, policy, now: float) -> Reservation | None:
    """The slow path of ``reserve_attempt``: None when another request changed the item."""
    current = throttle_for(subject)
    if current is None or current.is_expired(now):
        failures, locks, locked_until = 0, 0, None  # nothing remembered
    else:
        failures, locks, locked_until = current.failures or 0, current.locks or 0, current.locked_until
        if current.held:
            raise AccountHeld()
    wait = policy.retry_after(locked_until, now)
    if wait:
        raise AccountLocked(wait)
    if locked_until is not None and locked_until + policy.memory_seconds < now:
        locks = 0  # the last lock is older than the escalation memory
    unchanged = (LoginThrottle.subject.does_not_exist() if current is None
                 else LoginThrottle.expires_at == current.expires_at)
    if current is not None:
        unchanged &= LoginThrottle.failures == current.failures
    if failures + 1 < policy.threshold:
        actions = [LoginThrottle.failures.set(failures + 1), LoginThrottle.locks.set(locks),
                   LoginThrottle.locked_until.remove()]
        actions += _expiry_actions(now + policy.memory_seconds)
        result = Reservation(subject)
    else:
        lock_ends = now + policy.lock_seconds(locks)
        actions = [LoginThrottle.failures.set(0), LoginThrottle.locks.set(locks + 1),
                   LoginThrottle.locked_until.set(lock_ends)]
        actions += ([LoginThrottle.held.set(True)] + _no_expiry_actions()
                    if policy.holds(locks + 1)
                    else _expiry_actions(lock_ends + policy.memory_seconds))
        result = Reservation(subject, lock_ends, (failures, locks, locked_until,
                                                  current.expires_at if current else None))
    if not written(lambda: LoginThrottle(subject).update(actions=actions, condition=unchanged)):
        return None
    return result


def release_attempt(reservation: Reservation) -> None:
    """Give the slot back without clearing the count (a right password before the second
    factor: knowing it must not refill the budget for guessing the second factor)."""
    if reservation.locked_until is not None:
        _undo_lock(reservation, keep_failures=True)
        return
    # Refused when a success cleared the count meanwhile: nothing to give back.
    written(lambda: LoginThrottle(reservation.subject).update(
        actions=[LoginThrottle.failures.add(-1)], condition=LoginThrottle.failures > 0))


def clear_attempts(reservation: Reservation) -> None:
    """A complete sign-in: the failure count starts again from zero."""
    if reservation.locked_until is not None:
        _undo_lock(reservation, keep_failures=False)
        return
    LoginThrottle(reservation.subject).update(actions=[LoginThrottle.failures.set(0)])


def _undo_lock(reservation: Reservation, keep_failures: bool) -> None:
    failures, locks, locked_until, expires_at = reservation.before
    actions = [LoginThrottle.failures.set(failures if keep_failures else 0),
               LoginThrottle.locks.set(locks), LoginThrottle.held.remove()]
    actions.append(LoginThrottle.locked_until.set(locked_until) if locked_until is not None
                   else LoginThrottle.locked_until.remove())
    actions += _expiry_actions(expires_at) if expires_at is not None else _no_expiry_actions()
    # Refused when an unlock or reset removed the lock meanwhile: nothing to undo.
    written(lambda: LoginThrottle(reservation.subject).update(
        actions=actions, condition=LoginThrottle.locked_until == reservation.locked_until))


def delete_throttle(subject: str) -> None:
    LoginThrottle(subject).delete()


def delete_throttle_in(transaction: TransactWrite, subject: str) -> None:
    transaction.delete(LoginThrottle(subject))


def _expiry_actions(epoch_seconds: float) -> list:
    return expiry_update_actions(LoginThrottle, epoch_seconds)


def _no_expiry_actions() -> list:
    return [LoginThrottle.expires_at.remove(), LoginThrottle.ttl.remove()]
