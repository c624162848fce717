"""Changing the account's email address (docs/api.md "The account", v2).
Needs the current password; a code goes to the new address and a notice to the current one at
once.  The code is bound to the address it was sent to; the switch moves the email claim in
the transaction that uses the code up.
Why: docs/decisions/email-change.md
"""
from __future__ import annotations

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.accounts import activity, codes, recovery, service, store
from chalicelib.accounts.codes import InvalidOrExpiredCode
from chalicelib.config import get_settings
from chalicelib.core import clock, secrets
from chalicelib.core.errors import Conflict, InvalidRequest
from chalicelib.core.identity import Client
from chalicelib.core.logs import log_event
from chalicelib.core.notify import notifier
from chalicelib.core.store import failed_conditions
from chalicelib.core.i18n import N_, _

EMAIL_CHANGE = "email_change"


class EmailTaken(Conflict):
    code = "email_taken"
    title = N_("Email address taken")

    def __init__(self) -> None:
        super().__init__(_("Another Kinlink account uses this email address now, so yours was not "
                           "changed."))


def request_change(account_id: str, new_email: str, current_password: str,
                   client: Client) -> None:
    new_email = service.validated_email(new_email, field="new_email")
    account = service.reauthenticate(account_id, current_password)
    if new_email == account.email:
        raise InvalidRequest(_("new_email is already this account's email."),
                             errors=[{"field": "new_email", "problem": _("is the current email")}])
    issued = codes.issue(EMAIL_CHANGE, _code_owner(account_id, new_email), account_id=account_id)
    account.update(actions=[store.Account.pending_email.set(new_email)])
    if not notifier().email(new_email, "email_change_code", language=account.language,
                            full_name=account.full_name, code=issued.code,
                            minutes=get_settings().verification_code_seconds // 60):
        codes.withdraw(EMAIL_CHANGE, _code_owner(account_id, new_email), issued)
    notifier().email(account.email, "email_change_requested", language=account.language,
                     full_name=account.full_name, new_email=new_email)
    activity.record(account_id, "email_change_requested", client)


def confirm_change(account_id: str, code: str, client: Client) -> None:
    account = service.existing_account(account_id)
    old_email, new_email = account.email, account.pending_email
    record = (codes.check(EMAIL_CHANGE, _code_owner(account_id, new_email), code.strip())
              if new_email else None)
    if record is None:
        raise InvalidOrExpiredCode()

    def use_code(transaction: TransactWrite) -> None:
        codes.use_in(transaction, record)
        codes.revoke_in(transaction, recovery.PASSWORD_RESET, account_id)
        activity.record_in(transaction, account_id, "email_changed", client)

    try:
        store.change_email(account, new_email, also=use_code)
    except store.EmailTaken:
        raise EmailTaken() from None
    except TransactWriteError as error:
        if failed_conditions(error):  # the code was used, or another address asked for, meanwhile
            raise InvalidOrExpiredCode() from None
        raise
    notifier().email(old_email, "email_changed", language=account.language,
                     full_name=account.full_name, new_email=new_email, changed_at=clock.iso())
    log_event("email_changed", account_id=account_id)


def _code_owner(account_id: str, email: str) -> str:
    return f"{account_id}.{secrets.keyed_digest(email, EMAIL_CHANGE)[:32]}"
