"""HTTP routes of the accounts capability (docs/api.md "Accounts and sign-in")."""
from __future__ import annotations

from pathlib import Path

from chalice import Blueprint

from chalicelib.accounts import page_paths
from chalicelib.core import i18n, lazy
from chalicelib.core.i18n import N_
from chalicelib.web import pages
from chalicelib.web.endpoint import ANY_ROLE, ApiRequest, Example, Reply, endpoint
from chalicelib.web.schema import (BOOLEAN, CODE, PHONE, EMAIL, NULLABLE_STRING, PASSWORD, TOKENS,
                                   integer, named, obj, person_name, string)

admin = lazy.module("chalicelib.accounts.admin")
service = lazy.module("chalicelib.accounts.service")
sessions = lazy.module("chalicelib.accounts.sessions")
signin = lazy.module("chalicelib.accounts.signin")
unlocking = lazy.module("chalicelib.accounts.unlocking")

bp = Blueprint(__name__)
UNLOCK_PAGE = Path(__file__).parent / "pages" / "unlock.html"

STATUS = named("Status", obj({"status": string()}))
MFA_METHOD = string(enum=["totp", "recovery_code", "email", "sms"])
# A language tag; the domain accepts the languages we speak (``es-MX`` is read as ``es``) and
# answers 400 naming the field for any other (docs/decisions/languages-api.md).
LANGUAGE = string(2, 35, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$",
                  description="One of " + ", ".join(i18n.LANGUAGES) + "; a regional tag such as "
                  "es-MX is stored as its language (es).",
                  **{"x-pattern-problem": N_("must be a language tag such as en or es")})


@endpoint(bp, "POST", "/v1/auth/signup", summary="Create a family account", tag="auth",
          body=obj({"email": EMAIL, "password": PASSWORD, "full_name": person_name()},
                   {"phone": PHONE, "language": LANGUAGE}),
          status=202, response=STATUS, problems=("weak_password",), source_limit="signup",
          description=(
              'Anyone may create a family account. The answer is 202 whether or not the address is '
              'already registered, so the response says nothing about who has an account; a 6-digit '
              'code is emailed to confirm the address (a registered address is told someone tried '
              'instead). Sign in only after `POST /v1/auth/verify-email`.'),
          example=Example(
              request={
                  "email": "dana.lee@example.com",
                  "password": "Harbor-Lantern-Quill-88",
                  "full_name": "Dana Lee",
                  "language": "en",
              },
              response={"status": "verification_sent"},
          ))
def sign_up(request: ApiRequest):
    body = request.body
    service.sign_up(body["email"], body["password"], body["full_name"], body.get("phone"),
                    body.get("language"))
    return {"status": "verification_sent"}


@endpoint(bp, "POST", "/v1/auth/verify-email", summary="Confirm an email address", tag="auth",
          body=obj({"email": EMAIL, "code": CODE}), response=STATUS,
          problems=("invalid_or_expired_code",), source_limit="verify",
          description=(
              'Confirms the address with the code from the sign-up email. A wrong or expired code '
              'answers 400 `invalid_or_expired_code`; each code allows 5 guesses.'),
          example=Example(
              request={"email": "dana.lee@example.com", "code": "482913"},
              response={"status": "verified"},
          ))
def verify_email(request: ApiRequest):
    service.verify_email(request.body["email"], request.body["code"])
    return {"status": "verified"}


MFA_CHALLENGE = named(
    "MfaChallenge",
    obj({"mfa_required": BOOLEAN, "challenge_id": string(), "methods": {"type": "array", "items": string()}}),
)
SIGNED_IN = named(
    "SignedIn",
    {
        **TOKENS,
        "properties": {**TOKENS["properties"], "device_token": string()},
        "required": ["access_token", "refresh_token", "token_type", "expires_in"],
    },
)


@endpoint(bp, "POST", "/v1/auth/login", summary="Sign in (may ask for a second factor)",
          tag="auth",
          body=obj({"email": EMAIL, "password": PASSWORD}, {"device_token": string(1, 512)}),
          response={"oneOf": [TOKENS, MFA_CHALLENGE]},
          problems=("invalid_credentials", "account_locked", "email_not_verified",
                    "account_disabled"), source_limit="signin",
          description=(
              'Signs in with email and password. Without a second factor the answer holds the token '
              'pair; with one enrolled it holds a challenge to finish with `POST /v1/auth/mfa` (a '
              '`device_token` from an earlier `remember_device` skips it). Five failures lock the '
              'account (401 then 429 with Retry-After).'),
          example=Example(
              request={"email": "dana.lee@example.com", "password": "Harbor-Lantern-Quill-88"},
              response={
                  "access_token": "Vt3kQ9xZ2mB7nR1pL5wY8A.q8J2kz7nXh4Lw0pVb9sR3tY6uC1mE5dF8gH2jK4lN7o",
                  "refresh_token": "Vt3kQ9xZ2mB7nR1pL5wY8A.Xc5vB8nM1qW4eR7tY0uI3oP6aS9dF2gH5jK8lZ1xC4v",
                  "token_type": "Bearer",
                  "expires_in": 900,
              },
          ))
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
          source_limit="mfa",
          description=(
              'Finishes a sign-in that answered `mfa_required`: a TOTP code, an unused recovery '
              'code, or a code sent by `POST /v1/auth/mfa/send`. `remember_device` returns a '
              '`device_token` that skips the second factor on this device for 30 days.'),
          example=Example(
              request={
                  "challenge_id": "mfa_Lq2Xv9Rk4mT7nB1wZ5pY8A",
                  "method": "totp",
                  "code": "314159",
                  "remember_device": True,
              },
              response={
                  "access_token": "Vt3kQ9xZ2mB7nR1pL5wY8A.q8J2kz7nXh4Lw0pVb9sR3tY6uC1mE5dF8gH2jK4lN7o",
                  "refresh_token": "Vt3kQ9xZ2mB7nR1pL5wY8A.Xc5vB8nM1qW4eR7tY0uI3oP6aS9dF2gH5jK8lZ1xC4v",
                  "token_type": "Bearer",
                  "expires_in": 900,
                  "device_token": "dev_Hk3Lm8Qx2Rv7Tn1Wb5Zp9A.Yt6uI9oP2aS5dF8gH1jK4lZ7xC0vB3nM6qW9eR2tY5u",
              },
          ))
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
                    "account_locked"),
          description=(
              'Sends a one-time sign-in code for a pending challenge by email, or by SMS to a '
              'confirmed phone. Codes sent per account are limited (429 `too_many_codes_sent`).'),
          example=Example(
              request={"challenge_id": "mfa_Lq2Xv9Rk4mT7nB1wZ5pY8A", "method": "email"},
              response={"status": "sent"},
          ))
def send_second_factor_code(request: ApiRequest):
    signin.send_code(request.body["challenge_id"], request.body["method"], request.client)
    return {"status": "sent"}


@endpoint(bp, "POST", "/v1/auth/unlock", summary="Unlock a locked account with its emailed link",
          tag="auth", body=obj({"token": string(1, 512)}), response=STATUS,
          problems=("invalid_or_expired_code",),
          description=(
              'Lifts a lockout with the single-use token of the emailed unlock link (the unlock '
              "page posts it from the link's fragment). Valid 1 hour."),
          example=Example(
              request={
                  "token": "Zr8Kq2Lm5Xv9Tn3Wb7Yp1A.Pq4Wr7Tk1Lm9Xz3Cv6Bn8Mq2We5Rt8Yu1Io4Pa7Sd0Fg3"
              },
              response={"status": "unlocked"},
          ))
def unlock_with_link(request: ApiRequest):
    unlocking.unlock_with_token(request.body["token"], request.client)
    return {"status": "unlocked"}


@endpoint(bp, "GET", page_paths.UNLOCK_PAGE_PATH, summary="The page an unlock link opens (HTML)",
          tag="pages", response=pages.HTML,
          description=(
              'The HTML page the emailed unlock link opens (`/unlock#token=...`). Its script reads '
              'the token from the fragment and posts it to `POST /v1/auth/unlock`.'),
          example=Example(
              response='<!doctype html><html lang="en">...<h1>Unlock your account</h1>...</html>'
          ))
def unlock_page(request: ApiRequest):
    return pages.page(UNLOCK_PAGE)


@endpoint(bp, "POST", "/v1/auth/refresh", summary="Rotate the token pair", tag="auth",
          body=obj({"refresh_token": string(1, 512)}), response=TOKENS,
          problems=("invalid_token", "mfa_enrollment_required"),
          description=(
              'Trades a refresh token for a new pair; the old pair stops working. Presenting a '
              'refresh token that was already rotated ends the whole session (it was copied).'),
          example=Example(
              request={
                  "refresh_token": "Vt3kQ9xZ2mB7nR1pL5wY8A.Xc5vB8nM1qW4eR7tY0uI3oP6aS9dF2gH5jK8lZ1xC4v"
              },
              response={
                  "access_token": "Vt3kQ9xZ2mB7nR1pL5wY8A.Gh7jK0lZ3xC6vB9nM2qW5eR8tY1uI4oP7aS0dF3gH6jK",
                  "refresh_token": "Vt3kQ9xZ2mB7nR1pL5wY8A.Lm4nB7vC0xZ3aS6dF9gH2jK5lQ8wE1rT4yU7iO0pA3sD",
                  "token_type": "Bearer",
                  "expires_in": 900,
              },
          ))
def refresh(request: ApiRequest):
    return sessions.refresh(request.body["refresh_token"], request.client).as_response()


@endpoint(bp, "POST", "/v1/auth/logout", summary="End this session", tag="auth",
          roles=ANY_ROLE, status=204, during_mfa_enrollment=True,
          description=(
              'Ends the session of the access token sent; its refresh token stops working too.'),
          example=Example())
def log_out(request: ApiRequest):
    sessions.log_out(request.principal, request.client)
    return Reply(204)


PROFILE = named(
    "Profile",
    obj(
        {
            "account_id": string(),
            "email": string(),
            "full_name": string(),
            "phone": NULLABLE_STRING,
            "role": string(),
            "facility_id": NULLABLE_STRING,
            "language": {"type": ["string", "null"], "enum": [*i18n.LANGUAGES, None]},
            "email_verified": BOOLEAN,
            "mfa": obj({"totp": BOOLEAN, "recovery_codes_left": integer(0)}),
            "password_changed_at": string(),
            "preferences": obj({"password_reminder": BOOLEAN, "notify_messages": BOOLEAN},
                               {"message_digest": BOOLEAN}),
            "created_at": string(),
        }
    ),
)

PROFILE_EXAMPLE = {"account_id": "acc_Q2hL9xv7RkT1mWb3ZpN5eA", "email": "dana.lee@example.com",
                   "full_name": "Dana Lee", "phone": "+15035550142", "role": "family",
                   "facility_id": None, "language": "en", "email_verified": True,
                   "mfa": {"totp": False, "recovery_codes_left": 0},
                   "password_changed_at": "2026-11-20T09:12:44Z",
                   "preferences": {"password_reminder": False, "notify_messages": True,
                                   "message_digest": False},
                   "created_at": "2026-11-20T09:12:44Z"}


@endpoint(bp, "GET", "/v1/account", summary="The signed-in account's profile", tag="account",
          roles=ANY_ROLE, response=PROFILE,
          description=(
              'The signed-in account: identity, role, language, second-factor state and '
              'notification preferences.'),
          example=Example(response=PROFILE_EXAMPLE))
def account(request: ApiRequest):
    return service.profile(request.principal.account_id)


@endpoint(bp, "PATCH", "/v1/account", summary="Change the name or the language", tag="account",
          roles=ANY_ROLE, body=obj(optional={"full_name": person_name(), "language": LANGUAGE}),
          response=PROFILE,
          description=(
              'Changes the display name or the language of emails and problem details (`en` or '
              '`es`; a regional tag such as `es-MX` is stored as its language, any other is a 400 '
              'naming `language`). Fields left out stay as they are; the answer already speaks '
              'the new language.'),
          example=Example(request={"language": "es"}, response={**PROFILE_EXAMPLE, "language": "es"}))
def update_account(request: ApiRequest):
    profile = service.update_profile(request.principal.account_id, request.body.get("full_name"),
                                     request.body.get("language"))
    i18n.switch(profile["language"])  # the answer already speaks the language just chosen
    return profile


ACCOUNT_SUMMARY = named(
    "AccountSummary",
    obj(
        {
            "account_id": string(),
            "email": string(),
            "full_name": string(),
            "role": string(),
            "facility_id": NULLABLE_STRING,
            "email_verified": BOOLEAN,
            "disabled": BOOLEAN,
            "mfa": obj({"totp": BOOLEAN, "recovery_codes_left": integer(0)}),
            "created_at": string(),
        }
    ),
)


@endpoint(bp, "GET", "/v1/admin/accounts", summary="Find an account by email", tag="admin",
          roles=("admin",), query=obj({"email": EMAIL}),
          response=obj({"items": {"type": "array", "items": ACCOUNT_SUMMARY}}),
          description=(
              'Admins look an account up by its exact email address (case and spaces ignored). The '
              'list is empty when no account has it.'),
          example=Example(
              params={"email": "staff@demo-county.example"},
              response={
                  "items": [
                      {
                          "account_id": "acc_Sf4Gh7Jk0Lz3Xc6Vb9Nm2QA",
                          "email": "staff@demo-county.example",
                          "full_name": "Pat Morgan",
                          "role": "staff",
                          "facility_id": "demo-county",
                          "email_verified": True,
                          "disabled": False,
                          "mfa": {"totp": True, "recovery_codes_left": 10},
                          "created_at": "2026-11-02T14:05:00Z",
                      }
                  ]
              },
          ))
def find_accounts(request: ApiRequest):
    return {"items": admin.find_by_email(request.query["email"])}


@endpoint(bp, "POST", "/v1/admin/accounts/{account_id}/unlock", summary="Clear a lockout",
          tag="admin", roles=("admin",), status=204, problems=("not_found",),
          description=(
              "Admins clear an account's sign-in lockout at once (support calls); the action is "
              "recorded in the account's activity."),
          example=Example(params={"account_id": "acc_Q2hL9xv7RkT1mWb3ZpN5eA"}))
def unlock(request: ApiRequest, account_id: str):
    admin.unlock(account_id, request.client, by=request.principal.account_id)
    return Reply(204)


@endpoint(bp, "POST", "/v1/admin/accounts/{account_id}/disable",
          summary="Disable an account and end its sessions", tag="admin", roles=("admin",),
          status=204, problems=("not_found", "cannot_disable_self", "last_admin"),
          description=(
              'Admins stop an account from signing in and end every session it has. An admin cannot '
              'disable themselves or the last enabled admin.'),
          example=Example(params={"account_id": "acc_Q2hL9xv7RkT1mWb3ZpN5eA"}))
def disable(request: ApiRequest, account_id: str):
    admin.disable(account_id, request.client, by=request.principal.account_id)
    return Reply(204)


@endpoint(bp, "POST", "/v1/admin/accounts/{account_id}/enable",
          summary="Let a disabled account sign in again", tag="admin", roles=("admin",),
          status=204, problems=("not_found",),
          description=(
              'Admins let a disabled account sign in again; its old sessions stay ended.'),
          example=Example(params={"account_id": "acc_Q2hL9xv7RkT1mWb3ZpN5eA"}))
def enable(request: ApiRequest, account_id: str):
    admin.enable(account_id, request.client, by=request.principal.account_id)
    return Reply(204)


@endpoint(bp, "POST", "/v1/admin/accounts/{account_id}/mfa/reset",
          summary="Remove an account's authenticator and end its sessions", tag="admin",
          roles=("admin",), status=204, problems=("not_found",),
          description=(
              "Admins remove an account's authenticator and recovery codes (a lost phone, after "
              'checking identity) and end its sessions. Staff and admins must enrol again at their '
              'next sign-in.'),
          example=Example(params={"account_id": "acc_Sf4Gh7Jk0Lz3Xc6Vb9Nm2QA"}))
def reset_mfa(request: ApiRequest, account_id: str):
    admin.reset_mfa(account_id, request.client, by=request.principal.account_id)
    return Reply(204)


