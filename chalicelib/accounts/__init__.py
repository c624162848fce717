"""Accounts: identities, sign-in with lockout, sessions and tokens, 2FA, activity.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
Everything else here (``service``, ``store``, ``sessions``...) is private to accounts.
Its names load on first use and its data-rights holding before a registry is read
(``core.lazy``): importing the face costs a cold start nothing.
"""
from chalicelib.core import lazy

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

__getattr__ = lazy.face(__name__, {
    "activity": "APPEND_ONLY as APPEND_ONLY_ACTIVITY, last_sign_in, ActivityEvent, "
                "new_event as new_activity_event, record as record_activity, "
                "record_in as record_activity_in",
    "datarights": "close_account",
    "invitations": "invite as invite_staff",
    "lockout": "LockoutPolicy",
    "passwords": "hash_password, verify_password",
    "reminders": "send_due_reminders",
    "codes": "InvalidOrExpiredCode, count_message as count_code_message",
    "service": "attempt_failed, reauthenticate, reserve_attempt, throttle_subject, "
               "validated_phone",
    "sessions": "authenticate, current_session, open_session, register_holder_loader, "
                "register_session_guard, revoke as revoke_session",
    "store": "Account, Reservation, Session, account_by_id, clear_attempts, delete_throttle, "
             "release_attempt",
})
lazy.register_later("datarights", "chalicelib.accounts.datarights")
