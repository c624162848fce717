"""DynamoDB tables of the second factor and of devices, and the writes that must be atomic
(totp-factors, recovery-codes, mfa-challenges, remembered-devices, known-devices).  A TOTP code
is accepted by ONE conditional update ``last_step < step`` (no read-check-save race); recovery
codes are burned, never deleted, so a reuse is recognised.
Why: docs/decisions/tables.md
"""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.transactions import TransactWrite

from chalicelib.core.store import (StoredModel, BaseMeta, ExpiringModel, TableName, get_or_none,
                                   register, written)


@register
class TotpFactor(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("totp-factors")

    account_id = UnicodeAttribute(hash_key=True)
    secret_ciphertext = UnicodeAttribute()
    confirmed = BooleanAttribute(default=False)
    last_step = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    confirmed_at = UnicodeAttribute(null=True)


@register
class RecoveryCode(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("recovery-codes")

    account_id = UnicodeAttribute(hash_key=True)
    code_digest = UnicodeAttribute(range_key=True)
    created_at = UnicodeAttribute()
    used_at = UnicodeAttribute(null=True)


class ByAccount(GlobalSecondaryIndex):
    """Keys only: which items name an account (export and erasure, docs/decisions/data-rights.md)."""

    class Meta:
        index_name = "by_account"
        projection = KeysOnlyProjection()

    account_id = UnicodeAttribute(hash_key=True)


@register
class MfaChallenge(ExpiringModel):
    class Meta(BaseMeta):
        table_name = TableName("mfa-challenges")

    challenge_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    email = UnicodeAttribute()  # canonical: wrong second factors count toward its lockout
    device_digest = UnicodeAttribute()  # the signing-in device (user agent) it is bound to
    session_epoch = NumberAttribute()  # a password reset or disable in between kills it
    by_account = ByAccount()


@register
class RememberedDevice(ExpiringModel):
    class Meta(BaseMeta):
        table_name = TableName("remembered-devices")

    device_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    secret_digest = UnicodeAttribute()
    # The account's password_changed_at when the device was remembered: a password change or
    # reset moves it on, and the token dies with it.
    password_changed_at = UnicodeAttribute()
    by_account = ByAccount()


@register
class KnownDevice(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("known-devices")

    account_id = UnicodeAttribute(hash_key=True)
    device_digest = UnicodeAttribute(range_key=True)
    label = UnicodeAttribute()
    first_seen_at = UnicodeAttribute()


# --- TOTP ----------------------------------------------------------------------------------

def save_pending_totp(factor: TotpFactor) -> bool:
    """Store a new, unconfirmed factor unless a confirmed one exists; False if one does."""
    return written(lambda: factor.save(condition=TotpFactor.account_id.does_not_exist()
                                       | (TotpFactor.confirmed == False)))  # noqa: E712 (DSL)


def accept_step(factor: TotpFactor, step: int, confirm: bool) -> bool:
    """Record ``step`` as used, only if it is newer than every step used before (and, when
    ``confirm``, switch the factor on).  False means the step was already used: a replay."""
    actions = [TotpFactor.last_step.set(step)]
    condition = TotpFactor.last_step < step
    if confirm:
        actions.append(TotpFactor.confirmed.set(True))
        condition &= TotpFactor.confirmed == False  # noqa: E712
    else:
        condition &= TotpFactor.confirmed == True  # noqa: E712
    return written(lambda: factor.update(actions=actions, condition=condition))


# --- recovery codes ------------------------------------------------------------------------

def replace_recovery_codes(account_id: str, digests: list[str], created_at: str) -> None:
    old = list(RecoveryCode.query(account_id))
    with RecoveryCode.batch_write() as batch:
        for code in old:
            batch.delete(code)
        for digest in digests:
            batch.save(RecoveryCode(account_id, digest, created_at=created_at))


def burn_recovery_code(account_id: str, digest: str, used_at: str) -> str:
    """``"burned"`` if the code was live and is now used, ``"reused"`` if it was used before,
    ``"unknown"`` if there is no such code."""
    code = RecoveryCode(account_id, digest)
    if written(lambda: code.update(actions=[RecoveryCode.used_at.set(used_at)],
                                   condition=RecoveryCode.code_digest.exists()
                                   & RecoveryCode.used_at.does_not_exist())):
        return "burned"
    return "reused" if get_or_none(RecoveryCode, account_id, digest) else "unknown"


def recovery_codes_left(account_id: str) -> int:
    # At most 10 items per account: the Query's cost does not grow with anything else.
    return RecoveryCode.count(account_id, filter_condition=RecoveryCode.used_at.does_not_exist(),
                              consistent_read=True)


def delete_second_factor(account_id: str) -> None:
    replace_recovery_codes(account_id, [], "")
    TotpFactor(account_id).delete()


def delete_second_factor_in(transaction: TransactWrite, account_id: str) -> None:
    """The factor and its recovery codes (at most 10) go as part of ``transaction``."""
    transaction.delete(TotpFactor(account_id))
    for code in RecoveryCode.query(account_id, consistent_read=True):
        transaction.delete(code)


# --- challenges and devices ----------------------------------------------------------------

def consume_challenge(challenge: MfaChallenge) -> bool:
    return written(lambda: challenge.delete(condition=MfaChallenge.challenge_id.exists()))


def add_known_device(device: KnownDevice) -> bool:
    """True if the device was not known yet (and now is)."""
    return written(lambda: device.save(condition=KnownDevice.device_digest.does_not_exist()))


def known_device_count(account_id: str, at_most: int) -> int:
    return sum(1 for _ in KnownDevice.query(account_id, limit=at_most))
