"""Accounts that are not self-signed-up: staff and admins of the demo seed and the tests.
They go through the invitation service (``invitations.create`` then ``activate``), the same
code an admin's ``POST /v1/admin/staff`` and the invited person's link use; no table is
written here."""
from __future__ import annotations

from chalicelib.accounts import invitations
from chalicelib.accounts.store import Account


def create_staff_account(email: str, full_name: str, password: str, role: str = "staff",
                         facility_id: str | None = None,
                         totp_secret: str | None = None) -> Account:
    """A verified staff or admin account, or the existing one unchanged; ``totp_secret``
    (base32) enrols it in TOTP (the demo accounts' secrets are configuration)."""
    return invitations.create_active(email, full_name, password, role, facility_id, totp_secret)
