"""Signing in: the password, then (with 2FA on) the second factor, then a session.
Every password or second-factor check first reserves a slot of the email's failure budget
(``service.reserve_attempt``), so parallel guesses cannot outrun the lockout; only TOTP and
recovery codes are second factors.  A challenge is single use and bound to the account, its
session epoch and the signing-in device.
Why: docs/decisions/sign-in.md, docs/decisions/sign-in-hardening.md
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.accounts import (activity, devices, mfa, mfa_store, passwords, service,
                                 sessions, store)
from chalicelib.accounts.lockout import LockoutPolicy
from chalicelib.accounts.store import Account, account_by_id
from chalicelib.config import get_settings
from chalicelib.core import clock, secrets
from chalicelib.core.errors import Forbidden, InvalidRequest, Unauthenticated
from chalicelib.core.identity import Client
from chalicelib.core.logs import log_event
from chalicelib.core.store import get_or_none
from chalicelib.core.i18n import N_, _


class InvalidChallenge(Unauthenticated):
    code = "invalid_challenge"
    title = N_("Sign-in expired")

    def __init__(self) -> None:
        super().__init__(_("This sign-in has expired or was already completed. Sign in again "
                           "with your password."))


class InvalidSecondFactor(Unauthenticated):
    code = "invalid_second_factor"
    title = N_("Wrong code")

    def __init__(self) -> None:
        super().__init__(_("The code is wrong or has expired. Check it and try again."))


class MethodUnavailable(InvalidRequest):
    code = "mfa_method_unavailable"

    def __init__(self, method: str) -> None:
        super().__init__(_("The second factor %(method)s is not available for this account.",
                           method=repr(method)),
                         errors=[{"field": "method",
                                  "problem": _("is not available for this account")}])


@dataclass(frozen=True)
class SignedIn:
    tokens: sessions.TokenPair
    device_token: str | None = None

    def as_response(self) -> dict:
        body = self.tokens.as_response()
        if self.device_token:
            body["device_token"] = self.device_token
        return body


@dataclass(frozen=True)
class MfaRequired:
    challenge_id: str
    methods: list[str]

    def as_response(self) -> dict:
        return {"mfa_required": True, "challenge_id": self.challenge_id, "methods": self.methods}


def log_in(email: str, password: str, client: Client,
           device_token: str | None = None) -> SignedIn | MfaRequired:
    account, reservation = service.check_password(email, password, client)
    with service.released_on_outage(reservation):
        factor = mfa.enabled_factor(account.account_id)
        remembered = factor is not None and devices.is_remembered(account, device_token)
    if factor is None:
        if account.role in mfa.REQUIRED_FOR_ROLES:
            return _finish(account, client, "password (enrolment only)", reservation,
                           mfa_enrollment_only=True)
        return _finish(account, client, "password", reservation)
    if remembered:
        return _finish(account, client, "password+remembered_device", reservation,
                       remembered=True)
    store.release_attempt(reservation)
    return _challenge(account, client)


def _challenge(account: Account, client: Client) -> MfaRequired:
    challenge = mfa_store.MfaChallenge(
        secrets.new_id("mfa_"), account_id=account.account_id, email=account.email,
        device_digest=devices.device_digest(account.account_id, client.user_agent),
        session_epoch=account.session_epoch)
    challenge.set_expiry(clock.now() + get_settings().mfa_challenge_seconds)
    challenge.save()
    return MfaRequired(challenge.challenge_id, list(mfa.SIGN_IN_METHODS))


def complete_second_factor(challenge_id: str, method: str, code: str, client: Client,
                           remember_device: bool = False) -> SignedIn:
    challenge, account = _open_challenge(challenge_id, client)
    if method not in mfa.SIGN_IN_METHODS:
        raise MethodUnavailable(method)
    reservation = service.reserve_attempt(account.email, LockoutPolicy.from_settings())
    try:
        with service.released_on_outage(reservation):
            accepted = _second_factor_accepted(account, method, code, client)
    except (mfa.TotpCodeReused, mfa.RecoveryCodeUsed):
        _count_failure(reservation, account, method, client)
        raise
    if not accepted:
        _count_failure(reservation, account, method, client)
        raise InvalidSecondFactor()
    with service.released_on_outage(reservation):
        consumed = mfa_store.consume_challenge(challenge)
    if not consumed:
        store.release_attempt(reservation)
        raise InvalidChallenge()  # finished a moment ago by a parallel request
    return _finish(account, client, f"password+{method}", reservation,
                   remember_device=remember_device)


def send_code(challenge_id: str, method: str, client: Client) -> None:
    """Sign-in codes by email or SMS are not a second factor (see the module docstring): a live
    challenge gets 400 ``mfa_method_unavailable``, a dead one 401 ``invalid_challenge``."""
    _open_challenge(challenge_id, client)
    raise MethodUnavailable(method)


def disable_second_factor(account_id: str, password: str, code: str, client: Client) -> None:
    """Turn 2FA off after re-authenticating with the password and a current code."""
    account = service.existing_account(account_id)
    if account.role in mfa.REQUIRED_FOR_ROLES:
        raise mfa.MfaRequiredForRole()
    reservation = service.reserve_attempt(account.email, LockoutPolicy.from_settings())
    matches, _rehash = passwords.verify_password(password, account.password_hash)
    try:
        with service.released_on_outage(reservation):
            accepted = matches and mfa.verify_factor(account_id, code, client)
    except (mfa.TotpCodeReused, mfa.RecoveryCodeUsed):
        accepted = False
    if not accepted:
        service.attempt_failed(reservation, account, client)
        activity.record(account_id, "mfa_challenge_failed", client, outcome="failure",
                        action="disable_mfa")
        raise Forbidden(_("The password or the code is wrong."), code="invalid_credentials")
    store.release_attempt(reservation)
    mfa.disable(account, client)


def _open_challenge(challenge_id: str, client: Client
                    ) -> tuple[mfa_store.MfaChallenge, Account]:
    challenge = get_or_none(mfa_store.MfaChallenge, challenge_id)
    if (challenge is None or challenge.is_expired()
            or not secrets.same(challenge.device_digest,
                                devices.device_digest(challenge.account_id, client.user_agent))):
        raise InvalidChallenge()
    account = account_by_id(challenge.account_id)
    if account is None or account.disabled or account.session_epoch != challenge.session_epoch:
        raise InvalidChallenge()
    return challenge, account


def _second_factor_accepted(account: Account, method: str, code: str, client: Client) -> bool:
    if method == "totp":
        factor = mfa.enabled_factor(account.account_id)
        return factor is not None and mfa.verify_totp(factor, code, client)
    return mfa.use_recovery_code(account.account_id, code, client)


def _count_failure(reservation: store.Reservation, account: Account, method: str,
                   client: Client) -> None:
    service.attempt_failed(reservation, account, client)
    activity.record(account.account_id, "mfa_challenge_failed", client, outcome="failure",
                    method=method)


def _finish(account: Account, client: Client, method: str, reservation: store.Reservation,
            remembered: bool = False, remember_device: bool = False,
            mfa_enrollment_only: bool = False) -> SignedIn:
    with service.released_on_outage(reservation):
        store.clear_attempts(reservation)
    tokens = sessions.open_session(account, client, mfa_enrollment_only=mfa_enrollment_only)
    device_token = devices.remember(account) if remember_device else None
    activity.record(account.account_id, "login_succeeded", client, method=method,
                    session_id=tokens.session_id, device=devices.label(client.user_agent))
    devices.note_sign_in(account, client, remembered)
    log_event("login_succeeded", account_id=account.account_id, session_id=tokens.session_id,
              method=method)
    return SignedIn(tokens, device_token)
