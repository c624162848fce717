"""HTTP routes of the accounts capability (api.md "Accounts and sign-in")."""
from __future__ import annotations

from pathlib import Path

from chalice import Blueprint

from chalicelib.accounts import admin, service, sessions, signin, unlocking
from chalicelib.core import i18n
from chalicelib.core.i18n import N_
from chalicelib.web import pages
from chalicelib.web.endpoint import ANY_ROLE, ApiRequest, Reply, endpoint
from chalicelib.web.schema import (BOOLEAN, CODE, PHONE, EMAIL, NULLABLE_STRING, PASSWORD, TOKENS,
                                   integer, obj, person_name, string)

bp = Blueprint(__name__)
UNLOCK_PAGE = pages.template(Path(__file__).parent / "pages" / "unlock.html")

STATUS = obj({"status": string()})
MFA_METHOD = string(enum=["totp", "recovery_code", "email", "sms"])
# A language tag; the domain accepts the languages we speak (``es-MX`` is read as ``es``) and
# answers 400 naming the field for any other (docs/decisions/languages.md).
LANGUAGE = string(2, 35, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$",
                  description="One of " + ", ".join(i18n.LANGUAGES) + "; a regional tag such as "
                  "es-MX is stored as its language (es).",
                  **{"x-pattern-problem": N_("must be a language tag such as en or es")})


@endpoint(bp, "POST", "/v1/auth/signup", summary="Create a family account", tag="auth",
          body=obj({"email": EMAIL, "password": PASSWORD, "full_name": person_name()},
                   {"phone": PHONE, "language": LANGUAGE}),
          status=202, response=STATUS, problems=("weak_password",), source_limit="signup")
def sign_up(request: ApiRequest):
    body = request.body
    service.sign_up(body["email"], body["password"], body["full_name"], body.get("phone"),
                    body.get("language"))
    return {"status": "verification_sent"}


@endpoint(bp, "POST", "/v1/auth/verify-email", summary="Confirm an email address", tag="auth",
          body=obj({"email": EMAIL, "code": CODE}), response=STATUS,
          problems=("invalid_or_expired_code",), source_limit="verify")
def verify_email(request: ApiRequest):
    service.verify_email(request.body["email"], request.body["code"])
    return {"status": "verified"}


MFA_CHALLENGE = obj({"mfa_required": BOOLEAN, "challenge_id": string(),
                    "methods": {"type": "array", "items": string()}})
SIGNED_IN = {**TOKENS, "properties": {**TOKENS["properties"], "device_token": string()},
             "required": ["access_token", "refresh_token", "token_type", "expires_in"]}


@endpoint(bp, "POST", "/v1/auth/login", summary="Sign in (may ask for a second factor)",
          tag="auth",
          body=obj({"email": EMAIL, "password": PASSWORD}, {"device_token": string(1, 512)}),
          response={"oneOf": [TOKENS, MFA_CHALLENGE]},
          problems=("invalid_credentials", "account_locked", "email_not_verified",
                    "account_disabled"), source_limit="signin")
# Staff and admins without TOTP get tokens with "mfa_enrollment_required": true, good only for
# TOTP setup, confirm and logout (the endpoints declared ``during_mfa_enrollment``).
def log_in(request: ApiRequest):
    body = request.body
    return signin.log_in(body["email"], body["password"], request.client,
                         body.get("device_token")).as_response()


@endpoint(bp, "POST", "/v1/auth/mfa", summary="Finish signing in with a second factor",
          tag="auth",
          body=obj({"challenge_id": string(1, 64), "method": MFA_METHOD, "code": CODE},
                   {"remember_device": BOOLEAN}),
          response=SIGNED_IN,
          problems=("invalid_challenge", "invalid_second_factor", "totp_code_reused",
                    "recovery_code_used", "mfa_method_unavailable", "account_locked"),
          source_limit="mfa")
def complete_second_factor(request: ApiRequest):
    body = request.body
    return signin.complete_second_factor(body["challenge_id"], body["method"], body["code"],
                                         request.client,
                                         bool(body.get("remember_device"))).as_response()


@endpoint(bp, "POST", "/v1/auth/mfa/send", summary="Send a sign-in code by email or SMS",
          tag="auth",
          body=obj({"challenge_id": string(1, 64), "method": string(enum=["email", "sms"])}),
          status=202, response=STATUS,
          problems=("invalid_challenge", "mfa_method_unavailable", "too_many_codes_sent",
                    "account_locked"))
def send_second_factor_code(request: ApiRequest):
    signin.send_code(request.body["challenge_id"], request.body["method"], request.client)
    return {"status": "sent"}


@endpoint(bp, "POST", "/v1/auth/unlock", summary="Unlock a locked account with its emailed link",
          tag="auth", body=obj({"token": string(1, 512)}), response=STATUS,
          problems=("invalid_or_expired_code",))
def unlock_with_link(request: ApiRequest):
    unlocking.unlock_with_token(request.body["token"], request.client)
    return {"status": "unlocked"}


@endpoint(bp, "GET", unlocking.UNLOCK_PAGE_PATH, summary="The page an unlock link opens (HTML)",
          tag="pages", response=pages.HTML)
def unlock_page(request: ApiRequest):
    return pages.page(UNLOCK_PAGE)


@endpoint(bp, "POST", "/v1/auth/refresh", summary="Rotate the token pair", tag="auth",
          body=obj({"refresh_token": string(1, 512)}), response=TOKENS,
          problems=("invalid_token", "mfa_enrollment_required"))
def refresh(request: ApiRequest):
    return sessions.refresh(request.body["refresh_token"], request.client).as_response()


@endpoint(bp, "POST", "/v1/auth/logout", summary="End this session", tag="auth",
          roles=ANY_ROLE, status=204, during_mfa_enrollment=True)
def log_out(request: ApiRequest):
    sessions.log_out(request.principal, request.client)
    return Reply(204)


PROFILE = obj({"account_id": string(), "email": string(), "full_name": string(),
               "phone": NULLABLE_STRING, "role": string(), "facility_id": NULLABLE_STRING,
               "language": {"type": ["string", "null"], "enum": [*i18n.LANGUAGES, None]},
               "email_verified": BOOLEAN,
               "mfa": obj({"totp": BOOLEAN, "recovery_codes_left": integer(0)}),
               "password_changed_at": string(),
               "preferences": obj({"password_reminder": BOOLEAN, "notify_messages": BOOLEAN}),
               "created_at": string()})


@endpoint(bp, "GET", "/v1/account", summary="The signed-in account's profile", tag="account",
          roles=ANY_ROLE, response=PROFILE)
def account(request: ApiRequest):
    return service.profile(request.principal.account_id)


@endpoint(bp, "PATCH", "/v1/account", summary="Change the name or the language", tag="account",
          roles=ANY_ROLE, body=obj(optional={"full_name": person_name(), "language": LANGUAGE}),
          response=PROFILE)
def update_account(request: ApiRequest):
    profile = service.update_profile(request.principal.account_id, request.body.get("full_name"),
                                     request.body.get("language"))
    i18n.switch(profile["language"])  # the answer already speaks the language just chosen
    return profile


ACCOUNT_SUMMARY = obj({"account_id": string(), "email": string(), "full_name": string(),
                       "role": string(), "facility_id": NULLABLE_STRING,
                       "email_verified": BOOLEAN, "disabled": BOOLEAN,
                       "mfa": obj({"totp": BOOLEAN, "recovery_codes_left": integer(0)}),
                       "created_at": string()})


@endpoint(bp, "GET", "/v1/admin/accounts", summary="Find an account by email", tag="admin",
          roles=("admin",), query=obj({"email": EMAIL}),
          response=obj({"items": {"type": "array", "items": ACCOUNT_SUMMARY}}))
def find_accounts(request: ApiRequest):
    return {"items": admin.find_by_email(request.query["email"])}


@endpoint(bp, "POST", "/v1/admin/accounts/{account_id}/unlock", summary="Clear a lockout",
          tag="admin", roles=("admin",), status=204, problems=("not_found",))
def unlock(request: ApiRequest, account_id: str):
    admin.unlock(account_id, request.client, by=request.principal.account_id)
    return Reply(204)


@endpoint(bp, "POST", "/v1/admin/accounts/{account_id}/disable",
          summary="Disable an account and end its sessions", tag="admin", roles=("admin",),
          status=204, problems=("not_found", "cannot_disable_self", "last_admin"))
def disable(request: ApiRequest, account_id: str):
    admin.disable(account_id, request.client, by=request.principal.account_id)
    return Reply(204)


@endpoint(bp, "POST", "/v1/admin/accounts/{account_id}/enable",
          summary="Let a disabled account sign in again", tag="admin", roles=("admin",),
          status=204, problems=("not_found",))
def enable(request: ApiRequest, account_id: str):
    admin.enable(account_id, request.client, by=request.principal.account_id)
    return Reply(204)


@endpoint(bp, "POST", "/v1/admin/accounts/{account_id}/mfa/reset",
          summary="Remove an account's authenticator and end its sessions", tag="admin",
          roles=("admin",), status=204, problems=("not_found",))
def reset_mfa(request: ApiRequest, account_id: str):
    admin.reset_mfa(account_id, request.client, by=request.principal.account_id)
    return Reply(204)


