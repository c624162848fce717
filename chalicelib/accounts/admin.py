"""What an admin does to other accounts (docs/api.md "Administration"): find one by email, unlock,
disable, enable, and reset a lost authenticator.  Disabling ends every session; the
enabled-admin tally moves in the disable's own transaction, so the last enabled admin cannot be
disabled even by two admins at once.  Each action is written to the target's activity.
Why: docs/decisions/sign-in-hardening.md
"""
from __future__ import annotations

from chalicelib.accounts import activity, mfa, service, store
from chalicelib.core.errors import Conflict
from chalicelib.core.identity import Client
from chalicelib.core.logs import log_event
from chalicelib.core.i18n import _


class CannotDisableSelf(Conflict):
    code = "cannot_disable_self"

    def __init__(self) -> None:
        super().__init__(_("You cannot disable your own account. Ask another administrator."))


class LastAdmin(Conflict):
    code = "last_admin"

    def __init__(self) -> None:
        super().__init__(_("This is the last enabled administrator account; enable or create "
                           "another administrator first."))


def find_by_email(email: str) -> list[dict]:
    account = store.account_by_email(service.canonical_email(email))
    return [summary(account)] if account is not None else []


def summary(account: store.Account) -> dict:
    return {"account_id": account.account_id, "email": account.email,
            "full_name": account.full_name, "role": account.role,
            "facility_id": account.facility_id, "email_verified": account.email_verified,
            "disabled": bool(account.disabled), "mfa": mfa.status(account.account_id),
            "created_at": account.created_at}


def unlock(account_id: str, client: Client, by: str) -> None:
    account = service.existing_account(account_id)
    store.delete_throttle(service.throttle_subject(account.email))
    _record(account_id, "account_unlocked", client, by)


def disable(account_id: str, client: Client, by: str) -> None:
    if account_id == by:
        raise CannotDisableSelf()
    _set_disabled(service.existing_account(account_id), True)
    _record(account_id, "account_disabled", client, by)


def enable(account_id: str, client: Client, by: str) -> None:
    _set_disabled(service.existing_account(account_id), False)
    _record(account_id, "account_enabled", client, by)


def reset_mfa(account_id: str, client: Client, by: str) -> None:
    mfa.reset(service.existing_account(account_id))
    _record(account_id, "mfa_reset", client, by)


def _set_disabled(account: store.Account, disabled: bool) -> None:
    try:
        store.set_disabled(account, disabled)
    except store.LastAdmin:
        raise LastAdmin() from None
    except store.ConcurrentChange:
        raise Conflict(_("The account was changed at the same moment. Try again.")) from None


def _record(account_id: str, event: str, client: Client, by: str) -> None:
    activity.record(account_id, event, client, by=by)
    log_event(event, account_id=account_id, by=by)
