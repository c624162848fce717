"""Accounts: identities, sign-in with lockout, sessions and tokens, 2FA, activity.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
Everything else here (``service``, ``store``, ``sessions``...) is private to accounts.
"""
from chalicelib.accounts.activity import APPEND_ONLY as APPEND_ONLY_ACTIVITY
from chalicelib.accounts.activity import last_sign_in
from chalicelib.accounts.activity import ActivityEvent
from chalicelib.accounts.activity import new_event as new_activity_event
from chalicelib.accounts.activity import record as record_activity
from chalicelib.accounts.activity import record_in as record_activity_in
from chalicelib.accounts.datarights import close_account
from chalicelib.accounts.invitations import invite as invite_staff
from chalicelib.accounts.lockout import LockoutPolicy
from chalicelib.accounts.passwords import hash_password, verify_password
from chalicelib.accounts.reminders import send_due_reminders
from chalicelib.accounts.codes import InvalidOrExpiredCode
from chalicelib.accounts.codes import count_message as count_code_message
from chalicelib.accounts.service import (attempt_failed, reauthenticate, reserve_attempt,
                                         throttle_subject, validated_phone)
from chalicelib.accounts.sessions import (authenticate, current_session, open_session,
                                          register_holder_loader, register_session_guard)
from chalicelib.accounts.sessions import revoke as revoke_session
from chalicelib.accounts.store import (Account, Reservation, Session, account_by_id,
                                       clear_attempts, delete_throttle, release_attempt)

__all__ = [
    # who people are
    "Account", "account_by_id", "hash_password", "verify_password",
    # staff onboarding (the admin's invitation; the facility is checked by the caller)
    "invite_staff",
    # sessions (the web edge's authenticator; other holders such as kiosk inmates plug in)
    "Session", "authenticate", "current_session", "open_session", "revoke_session",
    "register_holder_loader", "register_session_guard",
    # lockout of repeated wrong secrets, for any sign-in
    "LockoutPolicy", "Reservation", "attempt_failed", "clear_attempts", "delete_throttle",
    "release_attempt", "reserve_attempt", "throttle_subject",
    # the account's activity log
    "APPEND_ONLY_ACTIVITY", "ActivityEvent", "new_activity_event", "record_activity",
    "record_activity_in", "last_sign_in",
    # data rights (its Holding is registered on import): deletion's first step
    "close_account",
    # scheduled jobs
    "send_due_reminders",
    # codes other capabilities send (call numbers): re-authentication, phones, the allowance
    "reauthenticate", "validated_phone", "count_code_message", "InvalidOrExpiredCode",
]
