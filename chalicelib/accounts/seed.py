"""Accounts that are not self-signed-up: staff and admins (created by an admin or the demo seed)."""
from __future__ import annotations

from chalicelib.accounts import mfa, passwords, store
from chalicelib.accounts.service import validated_email
from chalicelib.core import clock, secrets


def create_staff_account(email: str, full_name: str, password: str, role: str = "staff",
                         facility_id: str | None = None,
                         totp_secret: str | None = None) -> store.Account:
    """Create a verified staff or admin account, or return the existing one unchanged.
    ``totp_secret`` (base32) enrols the new account in TOTP with that secret: the demo accounts'
    secrets are configuration, so a demo can sign in with a code at once."""
    if role not in ("staff", "admin"):
        raise ValueError(f"role must be staff or admin, not {role!r}")
    email = validated_email(email)
    existing = store.account_by_email(email)
    if existing is not None:
        return existing
    password = passwords.check_new_password(password, email)
    now = clock.iso()
    account = store.Account(secrets.new_id("acc_"), email=email, full_name=full_name, role=role,
                            facility_id=facility_id, email_verified=True,
                            password_hash=passwords.hash_password(password), created_at=now,
                            password_changed_at=now)
    store.create_account(account)
    if totp_secret:
        mfa.enrol_with_secret(account, totp_secret)
    return account
