"""HTTP routes of the password lifecycle (docs/api.md "Accounts and sign-in", "The account"): forgot, reset,
change, phone verification, and the reset page the emailed link opens.

The reset page is plain HTML served with a strict CSP (``web.pages``).  The token is never
written into the page: the script reads it from the address (the ``#token=`` fragment, or
``?token=`` of older links), removes it from the address bar and history, and posts it in the
body of the reset request, never in a URL.
"""
from __future__ import annotations

from pathlib import Path

from chalice import Blueprint

from chalicelib.accounts import page_paths
from chalicelib.core import lazy
from chalicelib.core.errors import InvalidRequest
from chalicelib.core.i18n import _
from chalicelib.web import pages
from chalicelib.web.endpoint import ANY_ROLE, ApiRequest, Example, endpoint
from chalicelib.web.schema import CODE, PHONE, EMAIL, PASSWORD, named, obj, string as text

recovery = lazy.module("chalicelib.accounts.recovery")

bp = Blueprint(__name__)

STATUS = named("Status", obj({"status": text()}))
TOKEN = text(1, 512)
RESET_PAGE = Path(__file__).parent / "pages" / "reset_password.html"


@endpoint(bp, "POST", "/v1/auth/password/forgot", summary="Ask for a password reset code",
          tag="auth", body=obj({"email": EMAIL}, {"channel": text(enum=["email", "sms"])}),
          status=202, response=STATUS, source_limit="forgot",
          description=(
              'Sends a reset code and link by email (or the code by SMS to a confirmed phone with '
              '`channel: sms`). Always 202, registered address or not, in the same time; resets '
              'sent per account are limited and the extra ones are silently not sent.'),
          example=Example(
              request={"email": "dana.lee@example.com", "channel": "email"},
              response={"status": "sent_if_registered"},
          ))
def forgot_password(request: ApiRequest):
    body = request.body
    recovery.request_reset(body["email"], body.get("channel") or "email", request.client)
    return {"status": "sent_if_registered"}


@endpoint(bp, "POST", "/v1/auth/password/reset", summary="Set a new password with a reset code",
          tag="auth",
          body=obj({"new_password": PASSWORD}, {"token": TOKEN, "email": EMAIL, "code": CODE}),
          response=STATUS, problems=("invalid_or_expired_code", "weak_password"),
          source_limit="reset",
          description=(
              "Sets a new password with the emailed link's `token`, or with `email` and `code`. "
              'Every session of the account ends and the owner is told by email. The new password '
              'follows the usual rules (422 `weak_password`).'),
          example=Example(
              request={
                  "email": "dana.lee@example.com",
                  "code": "730514",
                  "new_password": "Copper-Meadow-Falcon-41",
              },
              response={"status": "password_reset"},
          ))
def reset_password(request: ApiRequest):
    body = request.body
    if body.get("token") and not (body.get("email") or body.get("code")):
        recovery.reset_with_token(body["token"], body["new_password"], request.client)
    elif body.get("email") and body.get("code") and not body.get("token"):
        recovery.reset_with_code(body["email"], body["code"], body["new_password"], request.client)
    else:
        raise InvalidRequest(
            _("Send either token and new_password, or email, code and new_password."),
            errors=[{"field": "token", "problem": _("give either token, or email and code")}])
    return {"status": "password_reset"}


@endpoint(bp, "POST", "/v1/account/password", summary="Change the password", tag="account",
          roles=ANY_ROLE, body=obj({"current_password": PASSWORD, "new_password": PASSWORD}),
          response=STATUS,
          problems=("reauthentication_required", "weak_password", "account_locked"),
          description=(
              'Changes the password of the signed-in account; the current password is asked again. '
              'Other sessions end, this one stays.'),
          example=Example(
              request={
                  "current_password": "Harbor-Lantern-Quill-88",
                  "new_password": "Copper-Meadow-Falcon-41",
              },
              response={"status": "password_changed"},
          ))
def change_password(request: ApiRequest):
    body = request.body
    recovery.change_password(request.principal, body["current_password"], body["new_password"],
                             request.client)
    return {"status": "password_changed"}


@endpoint(bp, "POST", "/v1/account/phone", summary="Send a code to confirm a phone number",
          tag="account", roles=ANY_ROLE,
          body=obj({"phone": PHONE, "current_password": PASSWORD}), status=202, response=STATUS,
          problems=("reauthentication_required", "account_locked", "too_many_codes_sent"),
          description=(
              'Texts a 6-digit code to a new phone number (E.164 or a US national format); the '
              'number is used only once confirmed. The current password is asked again.'),
          example=Example(
              request={"phone": "503-555-0142", "current_password": "Harbor-Lantern-Quill-88"},
              response={"status": "code_sent"},
          ))
def start_phone_verification(request: ApiRequest):
    recovery.start_phone_verification(request.principal.account_id, request.body["phone"],
                                      request.body["current_password"])
    return {"status": "code_sent"}


@endpoint(bp, "POST", "/v1/account/phone/verify", summary="Confirm a phone number with its code",
          tag="account", roles=ANY_ROLE, body=obj({"code": CODE}), response=STATUS,
          problems=("invalid_or_expired_code",),
          description=(
              'Confirms the pending phone number with the texted code; it then serves for SMS codes '
              'and resets.'),
          example=Example(request={"code": "551209"}, response={"status": "phone_verified"}))
def verify_phone(request: ApiRequest):
    recovery.verify_phone(request.principal.account_id, request.body["code"], request.client)
    return {"status": "phone_verified"}


# The link carries the token in its fragment (``#token=``), which browsers never send; the
# query form is what older links used.  Other query parameters (``utm_*`` added by mail
# trackers) are ignored, not refused: the person must still get the page.
RESET_PAGE_QUERY = {**obj(optional={"token": TOKEN}), "additionalProperties": True}


@endpoint(bp, "GET", page_paths.RESET_PAGE_PATH, summary="The page a reset link opens (HTML)",
          tag="pages", query=RESET_PAGE_QUERY,
          response={"type": "string", "x-media-type": "text/html"},
          description=(
              'The HTML page the emailed reset link opens (`/reset-password#token=...`). Its script '
              'reads the token from the fragment, clears it from the address bar and posts it with '
              'the new password to `POST /v1/auth/password/reset`.'),
          example=Example(
              response='<!doctype html><html lang="en">...<h1>Choose a new password</h1>...</html>'
          ))
def reset_page(request: ApiRequest):
    return pages.page(RESET_PAGE)
