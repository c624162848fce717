"""Staff invitations (api.md "Operating a facility"): the one way a staff or admin account is
created.  An invited account exists at once but cannot sign in, reset or sign up over: its
email is unverified and its password unusable until the single-use emailed link (72 h, its
token stored as a digest, used up by a conditional delete in the acceptance's transaction)
sets a password.  The first sign-in then asks for TOTP enrolment like any staff sign-in.
The demo seed creates and activates its accounts through ``create`` and ``activate`` too.
Why: docs/decisions/staff-onboarding.md
"""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from pynamodb.transactions import TransactWrite

from chalicelib.accounts import activity, codes, mfa, passwords, store
from chalicelib.accounts.page_paths import ACCEPT_PAGE_PATH
from chalicelib.accounts.service import clean_name, validated_email
from chalicelib.config import get_settings
from chalicelib.core import clock, secrets
from chalicelib.core.errors import Conflict, InvalidRequest
from chalicelib.core.i18n import N_, _
from chalicelib.core.identity import Client
from chalicelib.core.logs import log_event
from chalicelib.core.notify import notifier
from chalicelib.core.store import write_together, written

INVITATION = "staff_invitation"
STAFF_ROLES = ("staff", "admin")
# What an invited account holds until its owner chooses a password: no password matches it.
UNUSABLE_PASSWORD = "!unusable"


class EmailTaken(Conflict):
    code = "email_taken"
    title = N_("Email already in use")

    def __init__(self) -> None:
        super().__init__(_("This address already belongs to an account. Find it with GET "
                           "/v1/admin/accounts?email= instead."))


class InvalidInvitation(InvalidRequest):
    code = "invalid_token"
    title = N_("Invitation link not valid")

    def __init__(self) -> None:
        super().__init__(_("This invitation link is not valid: it has expired, was already "
                           "used, or was replaced by a newer one. Ask your administrator to "
                           "invite you again."))


def is_pending(account: store.Account) -> bool:
    """Invited, not accepted yet: a staff or admin account whose address is not verified."""
    return account.role in STAFF_ROLES and not account.email_verified


def create(email: str, full_name: str, role: str, facility_id: str | None) -> store.Account:
    """A new staff or admin account that cannot sign in yet (see the module doc); raises
    ``store.EmailTaken`` when the address has an account."""
    if role not in STAFF_ROLES:
        raise ValueError(f"role must be staff or admin, not {role!r}")
    now = clock.iso()
    account = store.Account(secrets.new_id("acc_"), email=validated_email(email),
                            full_name=clean_name(full_name), role=role,
                            facility_id=facility_id, email_verified=False,
                            password_hash=UNUSABLE_PASSWORD, created_at=now,
                            password_changed_at=now)
    store.create_account(account)
    return account


def activate(account: store.Account, password: str, client: Client | None = None,
             also: Callable[[TransactWrite], None] | None = None) -> bool:
    """Set the first password and verify the address, with ``also``'s writes, in one
    transaction conditioned on the account still being pending; ``False`` if a condition
    refused it (accepted or used meanwhile)."""
    password = passwords.check_new_password(password, account.email, (account.full_name,))
    password_hash = passwords.hash_password(password)

    def build(transaction: TransactWrite) -> None:
        store.activate_in(transaction, account, password_hash, clock.iso_precise())
        if also is not None:
            also(transaction)
        activity.record_in(transaction, account.account_id, "invitation_accepted", client)

    return written(lambda: write_together(build))


def invite(email: str, full_name: str, facility_id: str, facility_name: str, client: Client,
           by: str) -> dict:
    """Create the staff account and email its link.  Inviting an address whose invitation is
    still pending (e.g. expired) sends a new link, which replaces the old one; any other
    account at the address is ``EmailTaken``."""
    email = validated_email(email)
    full_name = clean_name(full_name)
    try:
        account = create(email, full_name, "staff", facility_id)
    except store.EmailTaken:
        account = store.account_by_email(email)
        if account is None or not is_pending(account) or account.disabled:
            raise EmailTaken() from None
        account.update(actions=[store.Account.full_name.set(full_name),
                                store.Account.facility_id.set(facility_id)])
    seconds = get_settings().staff_invitation_seconds
    issued = codes.issue(INVITATION, account.account_id, account_id=None,  # a link, no code
                         with_token=True, ttl_seconds=seconds)
    # The admin's language is not the new staff member's: theirs if chosen, else English.
    sent = notifier().email(account.email, "staff_invitation", language=account.language,
                            requester=False, full_name=full_name,
                            facility_name=facility_name, link=invitation_link(issued.token),
                            hours=seconds // 3600)
    if not sent:
        codes.withdraw(INVITATION, account.account_id, issued)
    activity.record(account.account_id, "staff_invited", client, by=by, facility_id=facility_id,
                    outcome="success" if sent else "send_failed")
    log_event("staff_invited", account_id=account.account_id, by=by, sent=sent)
    return {"account_id": account.account_id, "email": account.email, "full_name": full_name,
            "role": account.role, "facility_id": facility_id, "invitation_sent": sent,
            "invitation_expires_at": clock.iso(clock.now() + seconds) if sent else None}


def invitation_link(token: str) -> str:
    """The token rides in the fragment, which browsers never send to a server."""
    return f"{get_settings().public_base_url.rstrip('/')}{ACCEPT_PAGE_PATH}#token={quote(token)}"


def accept(token: str, new_password: str, client: Client) -> store.Account:
    """Set the invited person's password with the link's token; unknown, expired, used and
    replaced tokens all get ``InvalidInvitation``."""
    record = codes.live_token(INVITATION, token)
    account = store.account_by_id(codes.owner_of(record)) if record else None
    if account is None or account.disabled or not is_pending(account):
        raise InvalidInvitation()
    if not activate(account, new_password, client,
                    also=lambda transaction: codes.use_in(transaction, record)):
        raise InvalidInvitation()  # used by a parallel request a moment ago
    log_event("invitation_accepted", account_id=account.account_id)
    return account


def create_active(email: str, full_name: str, password: str, role: str = "staff",
                  facility_id: str | None = None, totp_secret: str | None = None) -> store.Account:
    """An account invited and accepted at once, for the demo seed and tests (no email, no
    link); an address that has an account keeps it unchanged.  ``totp_secret`` (base32) enrols
    TOTP with that secret, so a demo can sign in with a code at once."""
    existing = store.account_by_email(validated_email(email))
    if existing is not None:
        return existing
    passwords.check_new_password(password, email, (full_name,))  # before anything is written
    account = create(email, full_name, role, facility_id)
    activate(account, password)
    if totp_secret:
        mfa.enrol_with_secret(account, totp_secret)
    return account

