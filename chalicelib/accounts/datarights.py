"""What accounts holds about a person, for export and erasure (core.datarights).

Erasure keeps the account item as a pseudonymous tombstone (the id that money records name),
releases the email's claim so the address can sign up again, and deletes sessions, devices,
second factors, codes and counters.  The activity log is append-only and stays.
Why: docs/decisions/data-rights.md
"""
from __future__ import annotations

from pynamodb.transactions import TransactWrite

from chalicelib.accounts import activity, service, store
from chalicelib.accounts.email_change import EMAIL_CHANGE, _code_owner
from chalicelib.accounts.invitations import INVITATION
from chalicelib.accounts.mfa_store import (KnownDevice, MfaChallenge, RecoveryCode,
                                           RememberedDevice, TotpFactor)
from chalicelib.accounts.recovery import PASSWORD_RESET, PHONE_VERIFICATION
from chalicelib.accounts.store import (Account, AccountTally, EmailClaim, LoginThrottle,
                                       OneTimeCode, Session, SignupAttempt)
from chalicelib.accounts.unlocking import UNLOCK
from chalicelib.core import clock, datarights
from chalicelib.core.datarights import Holding, Kept
from chalicelib.core.errors import Conflict
from chalicelib.core.i18n import N_, _
from chalicelib.core.store import get_or_none, write_together, written

# Codes whose subject is "<purpose>#<account id>"; an email change's code is keyed by the new
# address too, so erasure finds it through the account's pending address.
_CODE_PURPOSES = (PASSWORD_RESET, PHONE_VERIFICATION, UNLOCK, INVITATION)


class DeletionRaced(Conflict):
    code = "account_changed"
    title = N_("Account changed")

    def __init__(self) -> None:
        super().__init__(_("Your account changed while it was being deleted; nothing was "
                           "deleted. Please try again."))


def close_account(account_id: str, current_password: str) -> Account:
    """The first step of a deletion: the password asked again (a wrong one counts toward the
    lockout like a failed sign-in), then every session ends at once, in one write conditioned
    on its session epoch (two deletions: one wins).  The account stays usable until ``erase``
    turns it into its tombstone, last: a deletion cut short by an outage is finished by
    signing in again and asking again (every step is safe to repeat)."""
    account = service.reauthenticate(account_id, current_password)
    if not written(lambda: store.bump_session_epoch(account)):
        raise DeletionRaced()
    return account


def export(account_id: str) -> dict[str, list[dict]]:
    account = store.account_by_id(account_id)
    if account is None:
        return {}
    throttle = store.throttle_for(service.throttle_subject(account.email))
    factor = get_or_none(TotpFactor, account_id)
    codes = [get_or_none(OneTimeCode, f"{purpose}#{account_id}") for purpose in _CODE_PURPOSES]
    return {
        "profile": [{
            "account_id": account_id, "email": account.email, "full_name": account.full_name,
            "phone": account.phone, "pending_phone": account.pending_phone,
            "pending_email": account.pending_email, "role": account.role,
            "facility_id": account.facility_id, "language": account.language,
            "email_verified": account.email_verified, "created_at": account.created_at,
            "password_changed_at": account.password_changed_at,
            "preferences": service.preferences_of(account),
            "email_claimed": get_or_none(EmailClaim, account.email) is not None}],
        "sessions": [{"created_at": s.created_at, "last_used_at": s.last_used_at, "ip": s.ip,
                      "user_agent": s.user_agent, "revoked": s.revoked, "expires_at": s.expires_at}
                     for s in Session.by_account.query(account_id)],
        "activity": [activity.render(event) for event in activity.ActivityEvent.query(account_id)],
        "devices": [{"label": d.label, "first_seen_at": d.first_seen_at}
                    for d in KnownDevice.query(account_id)],
        "remembered_devices": [{"device_id": d.device_id}
                               for d in RememberedDevice.by_account.query(account_id)],
        "second_factor": ([{"method": "totp", "confirmed": factor.confirmed,
                            "created_at": factor.created_at}] if factor else [])
        + [{"method": "recovery_code", "created_at": c.created_at, "used_at": c.used_at}
           for c in RecoveryCode.query(account_id)],
        # A sign-in waiting for its second factor: its id is half of a credential, so not shown.
        "pending_sign_ins": [{"waiting_for": "second_factor"}
                             for challenge in MfaChallenge.by_account.query(account_id)],
        "signup_attempts": [{"full_name": a.full_name, "phone": a.phone, "language": a.language,
                             "expires_at": a.expires_at} for a in SignupAttempt.query(account_id)],
        "codes": [{"purpose": code.subject.split("#", 1)[0], "expires_at": code.expires_at}
                  for code in codes if code is not None],
        "sign_in_failures": ([{"failures": throttle.failures, "locked_until": throttle.locked_until}]
                             if throttle else []),
    }


def erase(account_id: str) -> None:
    """Delete what only served the person, then turn the account into its tombstone and free
    its address, in one transaction."""
    account = store.account_by_id(account_id)
    if account is None or account.deleted_at:
        return
    for found in Session.by_account.query(account_id):
        Session(found.session_id).delete()
    for found in MfaChallenge.by_account.query(account_id):
        MfaChallenge(found.challenge_id).delete()
    for found in RememberedDevice.by_account.query(account_id):
        RememberedDevice(found.device_id).delete()
    for model in (KnownDevice, RecoveryCode, SignupAttempt):
        for found in model.query(account_id):
            found.delete()
    TotpFactor(account_id).delete()
    for purpose in _CODE_PURPOSES:
        OneTimeCode(f"{purpose}#{account_id}").delete()
    if account.pending_email:
        OneTimeCode(f"{EMAIL_CHANGE}#{_code_owner(account_id, account.pending_email)}").delete()
    LoginThrottle(service.throttle_subject(account.email)).delete()
    tombstone = [Account.email.set(f"{account_id}@deleted.invalid"),
                 Account.full_name.set(datarights.pseudonym(account_id)),
                 Account.password_hash.set("!" * 60), Account.disabled.set(True),
                 Account.deleted_at.set(clock.iso()), Account.preferences.set({})]
    tombstone += [getattr(Account, name).remove() for name in
                  ("phone", "pending_phone", "pending_email", "reminder_due_day")]

    def write(transaction: TransactWrite) -> None:
        transaction.delete(EmailClaim(account.email), condition=EmailClaim.account_id == account_id)
        transaction.update(account, actions=tombstone, condition=Account.email == account.email)

    # Refused only when the address moved meanwhile: the next run of ``erase`` finishes it.
    written(lambda: write_together(write))


HOLDING = Holding(
    capability="accounts",
    models=(Account, EmailClaim, LoginThrottle, OneTimeCode, SignupAttempt, Session, AccountTally,
            activity.ActivityEvent, TotpFactor, RecoveryCode, MfaChallenge, RememberedDevice,
            KnownDevice),
    export=export, erase=erase,
    kept=(Kept(N_("The account's id, marked deleted, with a pseudonym instead of the name"),
               N_("Money records name the account by this id; it holds no email, name or "
                  "phone."), 7 * 365),
          Kept(N_("The security activity log (sign-ins, with IP address and device)"),
               N_("Needed to investigate fraud and account takeover; it is append-only."),
               365)),
)

datarights.register(HOLDING)
