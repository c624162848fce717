"""HTTP routes of the signed-in account's security settings (api.md "Account"): two-factor
enrolment and recovery codes, the email address, sessions, activity and preferences (incl. the
opt-in password-age reminder).

Choices the contract leaves open:
* ``DELETE /v1/account/mfa/totp`` with a wrong password or code is 403 ``invalid_credentials``
  (not 401: the access token itself is fine) and counts toward the email's lockout.
* ``POST /v1/account/preferences`` takes any subset of ``{password_reminder, notify_messages}``
  and answers 200 with every preference; ``GET /v1/account`` shows them too.
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.accounts import activity, email_change, mfa, service, sessions, signin
from chalicelib.core.errors import NotFound
from chalicelib.core.i18n import _
from chalicelib.web.endpoint import ANY_ROLE, PAGINATION, ApiRequest, Reply, endpoint
from chalicelib.web.schema import (BOOLEAN, CODE, EMAIL, NULLABLE_STRING, PASSWORD, obj, page_of,
                                   string)

bp = Blueprint(__name__)

DEFAULT_PAGE = 20


TOTP_SETUP = obj({"secret": string(), "otpauth_uri": string(), "qr_svg_data_uri": string()})
RECOVERY_CODES = obj({"recovery_codes": {"type": "array", "items": string()}})
SESSION = obj({"session_id": string(), "device": string(), "ip": NULLABLE_STRING,
               "created_at": string(), "last_used_at": string(), "current": BOOLEAN})
EVENT = obj({"type": string(), "at": string(), "ip": NULLABLE_STRING,
             "user_agent": NULLABLE_STRING,
             "outcome": string(), "detail": {"type": "object"}})
PREFERENCES = obj(optional={"password_reminder": BOOLEAN, "notify_messages": BOOLEAN})
STATUS = obj({"status": string()})
REAUTHENTICATE = obj({"current_password": PASSWORD})
REAUTHENTICATION_PROBLEMS = ("reauthentication_required", "account_locked")


@endpoint(bp, "POST", "/v1/account/mfa/totp/setup", summary="Start enrolling an authenticator",
          tag="account", roles=ANY_ROLE, body=REAUTHENTICATE, response=TOTP_SETUP,
          problems=REAUTHENTICATION_PROBLEMS + ("mfa_already_enabled", "service_unavailable"),
          during_mfa_enrollment=True)
def start_totp_setup(request: ApiRequest):
    return mfa.start_setup(service.reauthenticate(request.principal.account_id,
                                                  request.body["current_password"]))


@endpoint(bp, "POST", "/v1/account/mfa/totp/confirm",
          summary="Confirm the authenticator; turns 2FA on", tag="account", roles=ANY_ROLE,
          body=obj({"code": CODE}), response=RECOVERY_CODES,
          problems=("invalid_or_expired_code", "mfa_not_pending", "mfa_already_enabled"),
          during_mfa_enrollment=True)
def confirm_totp(request: ApiRequest):
    account = service.existing_account(request.principal.account_id)
    return {"recovery_codes": mfa.confirm(account, request.body["code"], request.client)}


@endpoint(bp, "DELETE", "/v1/account/mfa/totp", summary="Turn 2FA off", tag="account",
          roles=ANY_ROLE, body=obj({"password": PASSWORD, "code": CODE}), status=204,
          problems=("invalid_credentials", "mfa_not_enabled", "account_locked",
                    "mfa_required_for_role"))
def disable_totp(request: ApiRequest):
    signin.disable_second_factor(request.principal.account_id, request.body["password"],
                                 request.body["code"], request.client)
    return Reply(204)


@endpoint(bp, "POST", "/v1/account/mfa/recovery-codes",
          summary="Replace every recovery code with 10 new ones", tag="account", roles=ANY_ROLE,
          body=REAUTHENTICATE, response=RECOVERY_CODES,
          problems=REAUTHENTICATION_PROBLEMS + ("mfa_not_enabled",))
def regenerate_recovery_codes(request: ApiRequest):
    account = service.reauthenticate(request.principal.account_id,
                                     request.body["current_password"])
    return {"recovery_codes": mfa.regenerate_recovery_codes(account, request.client)}


@endpoint(bp, "POST", "/v1/account/email", summary="Send a code to confirm a new email address",
          tag="account", roles=ANY_ROLE,
          body=obj({"new_email": EMAIL, "current_password": PASSWORD}), status=202,
          response=STATUS, problems=REAUTHENTICATION_PROBLEMS + ("too_many_codes_sent",))
def start_email_change(request: ApiRequest):
    body = request.body
    email_change.request_change(request.principal.account_id, body["new_email"],
                                body["current_password"], request.client)
    return {"status": "code_sent"}


@endpoint(bp, "POST", "/v1/account/email/verify",
          summary="Switch to the new email address with its code", tag="account", roles=ANY_ROLE,
          body=obj({"code": CODE}), response=STATUS,
          problems=("invalid_or_expired_code", "email_taken"))
def verify_email_change(request: ApiRequest):
    email_change.confirm_change(request.principal.account_id, request.body["code"],
                                request.client)
    return {"status": "email_changed"}


@endpoint(bp, "GET", "/v1/account/sessions", summary="The account's signed-in sessions",
          tag="account", roles=ANY_ROLE, query=obj(optional=PAGINATION),
          response=page_of(SESSION))
def list_sessions(request: ApiRequest):
    principal = request.principal
    account = service.existing_account(principal.account_id)
    return sessions.live_sessions(account, principal.session_id,
                                  request.query.get("limit", DEFAULT_PAGE),
                                  request.query.get("cursor"))


@endpoint(bp, "DELETE", "/v1/account/sessions/{session_id}", summary="Sign a session out",
          tag="account", roles=ANY_ROLE, status=204, problems=("not_found",))
def revoke_session(request: ApiRequest, session_id: str):
    if not sessions.revoke_by_id(request.principal.account_id, session_id, request.client):
        raise NotFound(_("You have no such session."))
    return Reply(204)


@endpoint(bp, "GET", "/v1/account/activity", summary="Security events, newest first",
          tag="account", roles=ANY_ROLE, query=obj(optional=PAGINATION),
          response=page_of(EVENT))
def list_activity(request: ApiRequest):
    return activity.newest_first(request.principal.account_id,
                                 request.query.get("limit", DEFAULT_PAGE),
                                 request.query.get("cursor"))


@endpoint(bp, "POST", "/v1/account/preferences", summary="Change notification preferences",
          tag="account", roles=ANY_ROLE, body=PREFERENCES, response=PREFERENCES)
def update_preferences(request: ApiRequest):
    return service.update_preferences(request.principal.account_id, request.body)
