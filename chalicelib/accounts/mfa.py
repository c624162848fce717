"""The account's second factor: TOTP enrolment, verification without replay, recovery codes.
A TOTP step is accepted only by the conditional write ``last_step < step``, so no code is used
twice; recovery codes are HMACs burned on use.  Setup and new recovery codes need the current
password: a stolen session alone cannot plant its own authenticator.
Why: docs/decisions/sign-in.md
"""
from __future__ import annotations

from chalicelib.accounts import activity, mfa_store, otp, store
from chalicelib.accounts.codes import InvalidOrExpiredCode
from chalicelib.accounts.store import Account
from chalicelib.config import get_settings
from chalicelib.core import clock, kms, secrets
from chalicelib.core.errors import Conflict, Forbidden, Unauthenticated
from chalicelib.core.identity import Client
from chalicelib.core.notify import notifier
from chalicelib.core.store import get_or_none
from chalicelib.core.i18n import N_, _


class MfaAlreadyEnabled(Conflict):
    code = "mfa_already_enabled"

    def __init__(self) -> None:
        super().__init__(_("Two-factor authentication is already on. Turn it off first to "
                           "enrol a new authenticator."))


class MfaNotPending(Conflict):
    code = "mfa_not_pending"

    def __init__(self) -> None:
        super().__init__(_("There is no authenticator waiting to be confirmed. Start the setup "
                           "again."))


class MfaNotEnabled(Conflict):
    code = "mfa_not_enabled"

    def __init__(self) -> None:
        super().__init__(_("Two-factor authentication is not on for this account."))


class MfaRequiredForRole(Forbidden):
    code = "mfa_required_for_role"
    title = N_("Two-factor authentication is required")

    def __init__(self) -> None:
        super().__init__(_("Staff and administrators must keep two-factor authentication on. An "
                           "administrator can reset it if the authenticator is lost."))


class TotpCodeReused(Unauthenticated):
    code = "totp_code_reused"
    title = N_("Code already used")

    def __init__(self) -> None:
        super().__init__(_("This code has already been used. Wait for the next code in your "
                           "authenticator app."))


class RecoveryCodeUsed(Unauthenticated):
    code = "recovery_code_used"
    title = N_("Recovery code already used")

    def __init__(self) -> None:
        super().__init__(_("This recovery code has already been used. Each code works once; use "
                           "another one."))


def _context(account_id: str) -> dict[str, str]:
    return {"account_id": account_id, "purpose": "totp"}


def _recovery_digest(account_id: str, code: str) -> str:
    return secrets.keyed_digest(otp.normalize_recovery_code(code), f"recovery-code#{account_id}")


def _secret_of(factor: mfa_store.TotpFactor) -> str:
    return kms.decrypt(factor.secret_ciphertext, _context(factor.account_id))


# --- enrolment -----------------------------------------------------------------------------

def start_setup(account: Account) -> dict:
    secret = otp.new_secret()
    factor = mfa_store.TotpFactor(account.account_id,
                                  secret_ciphertext=kms.encrypt(secret, _context(account.account_id)),
                                  created_at=clock.iso())
    if not mfa_store.save_pending_totp(factor):
        raise MfaAlreadyEnabled()
    uri = otp.provisioning_uri(secret, account.email, get_settings().totp_issuer)
    return {"secret": secret, "otpauth_uri": uri, "qr_svg_data_uri": otp.qr_svg_data_uri(uri)}


def confirm(account: Account, code: str, client: Client) -> list[str]:
    factor = get_or_none(mfa_store.TotpFactor, account.account_id)
    if factor is None or factor.confirmed:
        raise MfaAlreadyEnabled() if factor is not None else MfaNotPending()
    step = otp.matching_step(_secret_of(factor), code, clock.now())
    if step is None or not mfa_store.accept_step(factor, step, confirm=True):
        raise InvalidOrExpiredCode()
    codes = _new_recovery_codes(account.account_id)
    activity.record(account.account_id, "mfa_enabled", client, method="totp")
    _tell_owner(account, "mfa_enabled")
    return codes


def regenerate_recovery_codes(account: Account, client: Client) -> list[str]:
    """10 new recovery codes replacing every old one (the caller has re-authenticated)."""
    if enabled_factor(account.account_id) is None:
        raise MfaNotEnabled()
    codes = _new_recovery_codes(account.account_id)
    activity.record(account.account_id, "recovery_codes_regenerated", client)
    _tell_owner(account, "recovery_codes_regenerated")
    return codes


def enrol_with_secret(account: Account, secret: str) -> None:
    """Turn TOTP on with a known secret, confirmed, without recovery codes: demo accounts
    whose secret is configuration (``DEMO_*_TOTP_SECRET``), never a person's own."""
    mfa_store.TotpFactor(account.account_id, confirmed=True, created_at=clock.iso(),
                         confirmed_at=clock.iso(),
                         secret_ciphertext=kms.encrypt(secret, _context(account.account_id))
                         ).save()


def reset(account: Account) -> None:
    """An admin's reset for a lost authenticator: the factor and its recovery codes are deleted
    and every session ends, in one transaction; the next sign-in starts over (staff and
    admins enrol again)."""
    store.bump_session_epoch(
        account, also=lambda transaction: mfa_store.delete_second_factor_in(
            transaction, account.account_id))


def disable(account: Account, client: Client) -> None:
    """Switch 2FA off (the caller has re-authenticated the person)."""
    mfa_store.delete_second_factor(account.account_id)
    activity.record(account.account_id, "mfa_disabled", client, method="totp")
    _tell_owner(account, "mfa_disabled")


def _new_recovery_codes(account_id: str) -> list[str]:
    codes = otp.new_recovery_codes()
    mfa_store.replace_recovery_codes(account_id, [_recovery_digest(account_id, c) for c in codes],
                                     clock.iso())
    return codes


def _tell_owner(account: Account, template: str) -> None:
    notifier().email(account.email, template, language=account.language,
                     full_name=account.full_name, changed_at=clock.iso())


# --- state ---------------------------------------------------------------------------------

def enabled_factor(account_id: str) -> mfa_store.TotpFactor | None:
    factor = get_or_none(mfa_store.TotpFactor, account_id)
    return factor if factor is not None and factor.confirmed else None


def status(account_id: str) -> dict:
    on = enabled_factor(account_id) is not None
    return {"totp": on, "recovery_codes_left": mfa_store.recovery_codes_left(account_id) if on else 0}


# Roles that must sign in with TOTP (docs/api.md "Signing in, tokens and roles"); without it
# they can only enrol.
REQUIRED_FOR_ROLES = ("staff", "admin")

# The second factors a sign-in accepts.  Never the mailbox or the phone: whoever controls the
# mailbox can already reset the password, so an emailed code would make "2FA" one factor.
SIGN_IN_METHODS = ("totp", "recovery_code")


# --- verification --------------------------------------------------------------------------

def verify_totp(factor: mfa_store.TotpFactor, code: str, client: Client) -> bool:
    """True if ``code`` is a current, unused code; raises ``TotpCodeReused`` on a replay."""
    step = otp.matching_step(_secret_of(factor), code, clock.now())
    if step is None:
        return False
    if not mfa_store.accept_step(factor, step, confirm=False):
        activity.record(factor.account_id, "totp_replay_refused", client, outcome="failure")
        raise TotpCodeReused()
    return True


def use_recovery_code(account_id: str, code: str, client: Client) -> bool:
    """True if ``code`` is a live recovery code (now burned); raises ``RecoveryCodeUsed``."""
    verdict = mfa_store.burn_recovery_code(account_id, _recovery_digest(account_id, code),
                                           clock.iso())
    if verdict == "reused":
        activity.record(account_id, "recovery_code_used", client, outcome="failure",
                        reason="already_used")
        raise RecoveryCodeUsed()
    if verdict == "burned":
        activity.record(account_id, "recovery_code_used", client,
                        codes_left=mfa_store.recovery_codes_left(account_id))
    return verdict == "burned"


def verify_factor(account_id: str, code: str, client: Client) -> bool:
    """A TOTP code (6 digits) or a recovery code, for re-authentication (disabling 2FA)."""
    factor = enabled_factor(account_id)
    if factor is None:
        raise MfaNotEnabled()
    if otp.looks_like_totp(code):
        return verify_totp(factor, code, client)
    return use_recovery_code(account_id, code, client)
