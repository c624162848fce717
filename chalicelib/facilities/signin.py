"""The inmate's side: sign-in at a registered kiosk with facility, inmate number and PIN, and
what staff do about it (docs/api.md "Kiosks and inmates"). Why it works this way:
``docs/decisions/kiosk-sign-in.md``."""
from __future__ import annotations

import re
from typing import NamedTuple

from pynamodb.exceptions import UpdateError

from chalicelib import accounts
from chalicelib.core import secrets
from chalicelib.core.errors import (AccountHeld, AccountLocked, Forbidden, InvalidRequest,
                                    NotFound, RateLimited, Unauthenticated, minutes_to_wait)
from chalicelib.core.i18n import N_, _, ngettext
from chalicelib.core.identity import Client, Principal
from chalicelib.core.logs import log_event
from chalicelib.core.ratelimit import RatePolicy
from chalicelib.core.store import condition_failed
from chalicelib.facilities import kiosks, roster
from chalicelib.facilities.roles import INMATE_ROLE, PIN_CHANGE_ROLE
from chalicelib.facilities import store as facilities

PIN_PATTERN = kiosks.PIN_PATTERN
ONE_TIME_PIN_DIGITS = 8


class InvalidKioskCredentials(Unauthenticated):
    code = "invalid_credentials"
    title = N_("Invalid credentials")

    def __init__(self) -> None:
        super().__init__(_("The facility, inmate number or PIN is incorrect."))


class SignInPaused(RateLimited):
    code = "account_locked"
    title = N_("Sign-in paused")

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(ngettext("Too many wrong PINs. You can try again in %(n)s minute, or "
                                  "ask staff for help.",
                                  "Too many wrong PINs. You can try again in %(n)s minutes, or "
                                  "ask staff for help.", minutes_to_wait(retry_after_seconds)),
                         retry_after_seconds=retry_after_seconds)


class InmateLocked(Forbidden):
    code = "inmate_locked"
    title = N_("Sign-in locked")

    def __init__(self) -> None:
        super().__init__(_("Sign-in is locked after too many wrong PINs. Please ask staff to "
                           "unlock it."))


class KioskPaused(RateLimited):
    code = "rate_limited"
    title = N_("Kiosk paused")

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(ngettext("This kiosk is paused for %(n)s minute after too many wrong "
                                  "PINs. Please ask staff for help.",
                                  "This kiosk is paused for %(n)s minutes after too many wrong "
                                  "PINs. Please ask staff for help.",
                                  minutes_to_wait(retry_after_seconds)),
                         retry_after_seconds=retry_after_seconds)


class InmateNotFound(NotFound):
    code = "inmate_not_found"

    def __init__(self) -> None:
        super().__init__(_("No such inmate at this facility."))


class KioskHolder(NamedTuple):
    """An inmate as the session machinery sees a session's holder."""

    account_id: str
    facility_id: str
    session_epoch: int
    role: str = INMATE_ROLE
    disabled: bool = False
    language: str | None = None  # a kiosk speaks the language its screen asks for

    @classmethod
    def of(cls, inmate: facilities.Inmate, role: str = INMATE_ROLE) -> KioskHolder:
        return cls(inmate.inmate_id, inmate.facility_id, int(inmate.session_epoch or 0), role)


def _holder(inmate_id: str) -> KioskHolder | None:
    inmate = facilities.inmate(inmate_id, consistent=True)
    return None if inmate is None else KioskHolder.of(inmate)


def _same_kiosk(session: accounts.Session, client: Client) -> None:
    """The request comes from the registered kiosk the session was opened on."""
    kiosk = kiosks.registered(client.kiosk_key, session.facility_id)
    if kiosk.kiosk_id != session.kiosk_id:
        raise kiosks.KioskNotRegistered()


for _role in (INMATE_ROLE, PIN_CHANGE_ROLE):
    accounts.register_holder_loader(_role, _holder)
    accounts.register_session_guard(_role, _same_kiosk)


def normalized_number(inmate_number: str) -> str:
    return inmate_number.strip().upper()


def _lockout_name(facility_id: str, inmate_number: str) -> str:
    """What the inmate's failures count under (``throttle_subject`` digests it)."""
    return f"inmate:{facility_id}:{inmate_number}"


def _kiosk_failures() -> RatePolicy:
    return RatePolicy.configured("kiosk_pin_failures")


def _reserve(facility_id: str, inmate_number: str) -> accounts.Reservation:
    """A slot of the inmate's failure budget, with the refusals worded for the inmate."""
    try:
        return accounts.reserve_attempt(_lockout_name(facility_id, inmate_number),
                                        accounts.LockoutPolicy.for_inmates())
    except AccountLocked as locked:
        raise SignInPaused(locked.retry_after_seconds) from None
    except AccountHeld:
        raise InmateLocked() from None


def log_in(facility_id: str, inmate_number: str, pin: str, client: Client) -> dict:
    """Tokens of a kiosk session, or of a PIN-change session after a one-time PIN."""
    kiosk = kiosks.registered(client.kiosk_key, facility_id)
    inmate_number = normalized_number(inmate_number)
    if not inmate_number:
        raise InvalidRequest(_("inmate_number must not be blank."),
                             errors=[{"field": "inmate_number", "problem": _("must not be blank")}])
    reservation = _reserve(facility_id, inmate_number)
    kiosk_failures = _kiosk_failures()
    decision = kiosk_failures.hit(kiosk.kiosk_id)
    if not decision.allowed:
        accounts.release_attempt(reservation)
        log_event("kiosk_paused", kiosk_id=kiosk.kiosk_id, facility_id=facility_id)
        raise KioskPaused(decision.retry_after_seconds)
    inmate = facilities.inmate_by_number(facility_id, inmate_number)
    if inmate is not None:
        facility = facilities.facility(facility_id)
        if facility is None or not roster.held(inmate, facility):
            inmate = None  # released: signs in no more, and is told nothing else
    matches, needs_rehash = accounts.verify_password(pin, inmate.pin_hash if inmate else None)
    if not (matches and re.fullmatch(PIN_PATTERN, pin)):
        accounts.attempt_failed(reservation)
        log_event("inmate_login_failed", facility_id=facility_id, kiosk_id=kiosk.kiosk_id,
                  known=inmate is not None)
        raise InvalidKioskCredentials()
    accounts.clear_attempts(reservation)
    kiosk_failures.give_back(kiosk.kiosk_id)
    if needs_rehash:
        inmate.update(actions=[facilities.Inmate.pin_hash.set(accounts.hash_password(pin))])
    role = PIN_CHANGE_ROLE if inmate.pin_change_required else INMATE_ROLE
    tokens = accounts.open_session(KioskHolder.of(inmate, role), client, kiosk_id=kiosk.kiosk_id)
    log_event("inmate_login_succeeded", inmate_id=inmate.inmate_id, kiosk_id=kiosk.kiosk_id,
              session_id=tokens.session_id, role=role)
    if role == PIN_CHANGE_ROLE:
        return {"pin_change_required": True, **tokens.as_response()}
    return tokens.as_response()


def change_pin(principal: Principal, new_pin: str, client: Client) -> dict:
    """The inmate replaces a one-time PIN: the PIN-change session ends and a kiosk session
    opens on the same kiosk."""
    session = accounts.current_session(principal)
    inmate = facilities.inmate(principal.account_id, consistent=True)
    try:
        inmate.update(actions=[facilities.Inmate.pin_hash.set(accounts.hash_password(new_pin)),
                               facilities.Inmate.pin_change_required.set(False),
                               facilities.Inmate.session_epoch.add(1)],
                      condition=facilities.Inmate.pin_change_required == True)  # noqa: E712
    except UpdateError as error:
        if condition_failed(error):
            raise Unauthenticated(_("Sign in again: this session has ended."),
                                  code="invalid_token") from None
        raise
    tokens = accounts.open_session(KioskHolder.of(inmate), client, kiosk_id=session.kiosk_id)
    log_event("inmate_pin_changed", inmate_id=inmate.inmate_id, kiosk_id=session.kiosk_id)
    return tokens.as_response()


def log_out(principal: Principal) -> None:
    session = accounts.current_session(principal)
    if session is not None:
        accounts.revoke_session(session)


# --- staff ---------------------------------------------------------------------------------

def _inmate_at(facility_id: str, inmate_id: str) -> facilities.Inmate:
    inmate = facilities.inmate(inmate_id, consistent=True)
    if inmate is None or inmate.facility_id != facility_id:
        raise InmateNotFound()
    return inmate


def _lift_lock(inmate: facilities.Inmate) -> None:
    accounts.delete_throttle(
        accounts.throttle_subject(_lockout_name(inmate.facility_id, inmate.inmate_number)))


def unlock(facility_id: str, inmate_id: str, by: Principal) -> None:
    inmate = _inmate_at(facility_id, inmate_id)
    _lift_lock(inmate)
    log_event("inmate_unlocked", inmate_id=inmate_id, facility_id=facility_id,
              by=by.account_id, by_role=by.role)


def issue_one_time_pin(facility_id: str, inmate_id: str, by: Principal) -> dict:
    """A new PIN, shown once, that the inmate replaces at the next sign-in.  It ends the
    inmate's kiosk sessions and lifts any lock."""
    inmate = _inmate_at(facility_id, inmate_id)
    pin = secrets.new_numeric_code(ONE_TIME_PIN_DIGITS)
    inmate.update(actions=[facilities.Inmate.pin_hash.set(accounts.hash_password(pin)),
                           facilities.Inmate.pin_change_required.set(True),
                           facilities.Inmate.session_epoch.add(1)])
    _lift_lock(inmate)
    log_event("inmate_one_time_pin_issued", inmate_id=inmate_id, facility_id=facility_id,
              by=by.account_id, by_role=by.role)
    return {"pin": pin}


def set_pin(inmate_id: str, pin: str) -> None:
    """Give an inmate a known PIN (the demo seed: its PIN is configuration)."""
    if not re.fullmatch(PIN_PATTERN, pin):
        raise ValueError("a PIN has 6 to 12 digits")
    facilities.Inmate(inmate_id).update(
        actions=[facilities.Inmate.pin_hash.set(accounts.hash_password(pin)),
                 facilities.Inmate.pin_change_required.set(False)],
        condition=facilities.Inmate.inmate_id.exists())


def revoke_sessions(facility_id: str, inmate_id: str, by: Principal) -> None:
    inmate = _inmate_at(facility_id, inmate_id)
    inmate.update(actions=[facilities.Inmate.session_epoch.add(1)])
    log_event("inmate_sessions_revoked", inmate_id=inmate_id, facility_id=facility_id,
              by=by.account_id, by_role=by.role)
