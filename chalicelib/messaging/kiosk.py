"""The inmate's side: sign-in at a facility kiosk or tablet with facility, inmate number and PIN.

* PINs are hashed with the accounts password hasher (bcrypt over SHA-256).  A PIN is short, so
  what protects it is the lockout: the same rules as e-mail sign-in (5 failures lock for 15
  minutes, doubling), counted per ``inmate:<facility>:<number>`` whether or not that inmate
  exists, a slot of it reserved before any bcrypt work; an unknown number costs the same bcrypt check as a
  known one, and every failure gets the same answer.
* A kiosk session is an ordinary session (same tokens, lifetimes and revocation) with the role
  ``inmate``; its ``account_id`` is the inmate id.  The session's holder is the inmate record:
  ``sessions.authenticate`` asks this module (``register_holder_loader``) instead of the
  accounts table.  An inmate record has no session epoch of its own yet, so a kiosk session
  ends by logout, idle time or its absolute lifetime; a future PIN reset should add one.
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.accounts import passwords, sessions
from chalicelib.accounts import store as accounts_store
from chalicelib.accounts.lockout import LockoutPolicy
from chalicelib.accounts.service import attempt_failed, reserve_attempt
from chalicelib.core.errors import Unauthenticated
from chalicelib.core.identity import Client, Principal
from chalicelib.core.logs import log_event
from chalicelib.facilities import store as facilities
from chalicelib.messaging import store

ROLE = "inmate"


class InvalidKioskCredentials(Unauthenticated):
    code = "invalid_credentials"
    title = "Invalid credentials"

    def __init__(self) -> None:
        super().__init__("The facility, inmate number or PIN is incorrect.")


@dataclass(frozen=True)
class KioskHolder:
    """An inmate as the session machinery sees a session's holder."""

    account_id: str
    facility_id: str
    role: str = ROLE
    session_epoch: int = 0
    disabled: bool = False


def _holder(inmate_id: str) -> KioskHolder | None:
    inmate = facilities.inmate(inmate_id)
    return None if inmate is None else KioskHolder(inmate.inmate_id, inmate.facility_id)


sessions.register_holder_loader(ROLE, _holder)


def normalized_number(inmate_number: str) -> str:
    return inmate_number.strip().upper()


def log_in(facility_id: str, inmate_number: str, pin: str, client: Client) -> sessions.TokenPair:
    inmate_number = normalized_number(inmate_number)
    subject = f"inmate:{facility_id}:{inmate_number}"
    policy = LockoutPolicy.from_settings()
    reservation = reserve_attempt(subject, policy)
    inmate = store.inmate_by_number(facility_id, inmate_number)
    matches, needs_rehash = passwords.verify_password(pin, inmate.pin_hash if inmate else None)
    if not matches:
        attempt_failed(reservation)
        log_event("inmate_login_failed", facility_id=facility_id, known=inmate is not None)
        raise InvalidKioskCredentials()
    accounts_store.clear_attempts(reservation)
    if needs_rehash:
        inmate.update(actions=[facilities.Inmate.pin_hash.set(passwords.hash_password(pin))])
    tokens = sessions.open_session(KioskHolder(inmate.inmate_id, inmate.facility_id), client)
    log_event("inmate_login_succeeded", inmate_id=inmate.inmate_id, session_id=tokens.session_id)
    return tokens


def log_out(principal: Principal) -> None:
    session = sessions.current_session(principal)
    if session is not None:
        sessions.revoke(session)
