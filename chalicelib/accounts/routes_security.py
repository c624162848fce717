"""HTTP routes of the signed-in account's security settings (docs/api.md "The account"): two-factor
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

from chalicelib.core import lazy
from chalicelib.core.errors import NotFound
from chalicelib.core.i18n import _
from chalicelib.web.endpoint import ANY_ROLE, PAGINATION, ApiRequest, Example, Reply, endpoint
from chalicelib.web.schema import (BOOLEAN, CODE, EMAIL, NULLABLE_STRING, PASSWORD, named, obj,
                                   page_of, string)

activity = lazy.module("chalicelib.accounts.activity")
email_change = lazy.module("chalicelib.accounts.email_change")
mfa = lazy.module("chalicelib.accounts.mfa")
service = lazy.module("chalicelib.accounts.service")
sessions = lazy.module("chalicelib.accounts.sessions")
signin = lazy.module("chalicelib.accounts.signin")

bp = Blueprint(__name__)

DEFAULT_PAGE = 20


TOTP_SETUP = named(
    "TotpSetup", obj({"secret": string(), "otpauth_uri": string(), "qr_svg_data_uri": string()})
)
RECOVERY_CODES = named("RecoveryCodes", obj({"recovery_codes": {"type": "array", "items": string()}}))
SESSION = named(
    "Session",
    obj(
        {
            "session_id": string(),
            "device": string(),
            "ip": NULLABLE_STRING,
            "created_at": string(),
            "last_used_at": string(),
            "current": BOOLEAN,
        }
    ),
)
EVENT = named(
    "ActivityEvent",
    obj(
        {
            "type": string(),
            "at": string(),
            "ip": NULLABLE_STRING,
            "user_agent": NULLABLE_STRING,
            "outcome": string(),
            "detail": {"type": "object"},
        }
    ),
)
PREFERENCES = obj(optional={"password_reminder": BOOLEAN, "notify_messages": BOOLEAN,
                            "message_digest": BOOLEAN})
STATUS = named("Status", obj({"status": string()}))
REAUTHENTICATE = obj({"current_password": PASSWORD})
REAUTHENTICATION_PROBLEMS = ("reauthentication_required", "account_locked")


@endpoint(bp, "POST", "/v1/account/mfa/totp/setup", summary="Start enrolling an authenticator",
          tag="account", roles=ANY_ROLE, body=REAUTHENTICATE, response=TOTP_SETUP,
          problems=REAUTHENTICATION_PROBLEMS + ("mfa_already_enabled", "service_unavailable"),
          during_mfa_enrollment=True,
          description=(
              'Starts enrolling an authenticator app: returns the secret, its `otpauth://` address '
              'and a QR code (SVG data URI) to scan. 2FA is on only after `POST '
              '/v1/account/mfa/totp/confirm`. Staff and admins call it during their enrolment-only '
              'session.'),
          example=Example(
              request={"current_password": "Harbor-Lantern-Quill-88"},
              response={
                  "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
                  "otpauth_uri": "otpauth://totp/Kinlink:dana.lee%40example.com"
                                 "?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Kinlink",
                  "qr_svg_data_uri": "data:image/svg+xml;base64,"
                                     "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciPi4uLjwvc3ZnPg==",
              },
          ))
def start_totp_setup(request: ApiRequest):
    return mfa.start_setup(service.reauthenticate(request.principal.account_id,
                                                  request.body["current_password"]))


@endpoint(bp, "POST", "/v1/account/mfa/totp/confirm",
          summary="Confirm the authenticator; turns 2FA on", tag="account", roles=ANY_ROLE,
          body=obj({"code": CODE}), response=RECOVERY_CODES,
          problems=("invalid_or_expired_code", "mfa_not_pending", "mfa_already_enabled"),
          during_mfa_enrollment=True,
          description=(
              'Confirms enrolment with a current code from the app: 2FA is on, and the 10 recovery '
              'codes are shown this once (store them offline).'),
          example=Example(
              request={"code": "314159"},
              response={
                  "recovery_codes": [
                      "k7vq-2mxp",
                      "9zrt-4bnh",
                      "w3jd-8cfe",
                      "p6ya-1glu",
                      "t2ms-7qkx",
                      "h8nc-5rvb",
                      "e4wz-0dpj",
                      "b1fu-6tyo",
                      "x5lg-3kaw",
                      "r9oe-2hsm",
                  ]
              },
          ))
def confirm_totp(request: ApiRequest):
    account = service.existing_account(request.principal.account_id)
    return {"recovery_codes": mfa.confirm(account, request.body["code"], request.client)}


@endpoint(bp, "DELETE", "/v1/account/mfa/totp", summary="Turn 2FA off", tag="account",
          roles=ANY_ROLE, body=obj({"password": PASSWORD, "code": CODE}), status=204,
          problems=("invalid_credentials", "mfa_not_enabled", "account_locked",
                    "mfa_required_for_role"),
          description=(
              'Turns 2FA off with the password and a current code. Refused for staff and admins, '
              'who must keep it (403 `mfa_required_for_role`).'),
          example=Example(request={"password": "Harbor-Lantern-Quill-88", "code": "271828"}))
def disable_totp(request: ApiRequest):
    signin.disable_second_factor(request.principal.account_id, request.body["password"],
                                 request.body["code"], request.client)
    return Reply(204)


@endpoint(bp, "POST", "/v1/account/mfa/recovery-codes",
          summary="Replace every recovery code with 10 new ones", tag="account", roles=ANY_ROLE,
          body=REAUTHENTICATE, response=RECOVERY_CODES,
          problems=REAUTHENTICATION_PROBLEMS + ("mfa_not_enabled",),
          description=(
              'Replaces every recovery code with 10 new ones (the old ones stop working); the '
              'current password is asked again.'),
          example=Example(
              request={"current_password": "Harbor-Lantern-Quill-88"},
              response={
                  "recovery_codes": [
                      "k7vq-2mxp",
                      "9zrt-4bnh",
                      "w3jd-8cfe",
                      "p6ya-1glu",
                      "t2ms-7qkx",
                      "h8nc-5rvb",
                      "e4wz-0dpj",
                      "b1fu-6tyo",
                      "x5lg-3kaw",
                      "r9oe-2hsm",
                  ]
              },
          ))
def regenerate_recovery_codes(request: ApiRequest):
    account = service.reauthenticate(request.principal.account_id,
                                     request.body["current_password"])
    return {"recovery_codes": mfa.regenerate_recovery_codes(account, request.client)}


@endpoint(bp, "POST", "/v1/account/email", summary="Send a code to confirm a new email address",
          tag="account", roles=ANY_ROLE,
          body=obj({"new_email": EMAIL, "current_password": PASSWORD}), status=202,
          response=STATUS, problems=REAUTHENTICATION_PROBLEMS + ("too_many_codes_sent",),
          description=(
              'Emails a code to the new address (and a notice to the current one); the account '
              'switches only once the code is confirmed.'),
          example=Example(
              request={
                  "new_email": "dana.lee@example.org",
                  "current_password": "Harbor-Lantern-Quill-88",
              },
              response={"status": "code_sent"},
          ))
def start_email_change(request: ApiRequest):
    body = request.body
    email_change.request_change(request.principal.account_id, body["new_email"],
                                body["current_password"], request.client)
    return {"status": "code_sent"}


@endpoint(bp, "POST", "/v1/account/email/verify",
          summary="Switch to the new email address with its code", tag="account", roles=ANY_ROLE,
          body=obj({"code": CODE}), response=STATUS,
          problems=("invalid_or_expired_code", "email_taken"),
          description=(
              'Switches the account to the new address with the emailed code; the old address is '
              'told. 409 `email_taken` if another account took it.'),
          example=Example(request={"code": "604218"}, response={"status": "email_changed"}))
def verify_email_change(request: ApiRequest):
    email_change.confirm_change(request.principal.account_id, request.body["code"],
                                request.client)
    return {"status": "email_changed"}


@endpoint(bp, "GET", "/v1/account/sessions", summary="The account's signed-in sessions",
          tag="account", roles=ANY_ROLE, query=obj(optional=PAGINATION),
          response=page_of(SESSION),
          description=(
              "The account's live sessions, newest first, with a device label and address; "
              '`current` marks the one making the request.'),
          example=Example(
              params={"limit": 20},
              response={
                  "items": [
                      {
                          "session_id": "Vt3kQ9xZ2mB7nR1pL5wY8A",
                          "device": "Firefox on Windows",
                          "ip": "198.51.100.23",
                          "created_at": "2026-12-01T08:02:11Z",
                          "last_used_at": "2026-12-01T08:14:40Z",
                          "current": True,
                      }
                  ],
                  "next_cursor": None,
              },
          ))
def list_sessions(request: ApiRequest):
    principal = request.principal
    account = service.existing_account(principal.account_id)
    return sessions.live_sessions(account, principal.session_id,
                                  request.query.get("limit", DEFAULT_PAGE),
                                  request.query.get("cursor"))


@endpoint(bp, "DELETE", "/v1/account/sessions/{session_id}", summary="Sign a session out",
          tag="account", roles=ANY_ROLE, status=204, problems=("not_found",),
          description=(
              "Signs one of the account's own sessions out (a lost laptop). Another account's "
              'session id answers 404.'),
          example=Example(params={"session_id": "Np4Rt7Yk1Lm9Xz3Cv6Bn8A"}))
def revoke_session(request: ApiRequest, session_id: str):
    if not sessions.revoke_by_id(request.principal.account_id, session_id, request.client):
        raise NotFound(_("You have no such session."))
    return Reply(204)


@endpoint(bp, "GET", "/v1/account/activity", summary="Security events, newest first",
          tag="account", roles=ANY_ROLE, query=obj(optional=PAGINATION),
          response=page_of(EVENT),
          description=(
              'Security events of the account, newest first: sign-ins and failures, password and '
              'phone changes, 2FA changes, sessions ended.'),
          example=Example(
              params={"limit": 2},
              response={
                  "items": [
                      {
                          "type": "login_succeeded",
                          "at": "2026-12-01T08:02:11Z",
                          "ip": "198.51.100.23",
                          "user_agent": "Mozilla/5.0 (Windows NT 10.0)",
                          "outcome": "success",
                          "detail": {},
                      },
                      {
                          "type": "password_changed",
                          "at": "2026-11-30T19:40:02Z",
                          "ip": "198.51.100.23",
                          "user_agent": "Mozilla/5.0 (Windows NT 10.0)",
                          "outcome": "success",
                          "detail": {},
                      },
                  ],
                  "next_cursor": "eyJrIjoiMjAyNi0xMS0zMCJ9.Q2xhcmtLZW50",
              },
          ))
def list_activity(request: ApiRequest):
    return activity.newest_first(request.principal.account_id,
                                 request.query.get("limit", DEFAULT_PAGE),
                                 request.query.get("cursor"))


@endpoint(bp, "POST", "/v1/account/preferences", summary="Change notification preferences",
          tag="account", roles=ANY_ROLE, body=PREFERENCES, response=PREFERENCES,
          description=(
              'Turns the password-age reminder and the message notification emails on or off, '
              'and with `message_digest` gathers the message emails into one a day; fields left '
              'out stay as they are. Answers the preferences now in force.'),
          example=Example(
              request={"message_digest": True},
              response={"password_reminder": False, "notify_messages": True,
                        "message_digest": True},
          ))
def update_preferences(request: ApiRequest):
    return service.update_preferences(request.principal.account_id, request.body)
