"""HTTP routes of a staff invitation's far end (api.md "Operating a facility"): the page the
emailed link opens and the endpoint it posts to.  The admin's side (``POST /v1/admin/staff``)
is a facilities route: it checks the facility first.  The page's words are rendered in the
request's language; its script reads the token from the fragment and posts it in the body.
"""
from __future__ import annotations

from pathlib import Path

from chalice import Blueprint

from chalicelib.accounts import invitations
from chalicelib.core.i18n import _
from chalicelib.web import pages
from chalicelib.web.endpoint import ApiRequest, Example, endpoint
from chalicelib.web.schema import PASSWORD, obj, string

bp = Blueprint(__name__)
ACCEPT_PAGE = Path(__file__).parent / "pages" / "accept_invitation.html"


@endpoint(bp, "POST", "/v1/auth/invitations/accept",
          summary="Choose the first password of an invited staff account", tag="auth",
          body=obj({"token": string(1, 512), "new_password": PASSWORD}),
          response=obj({"status": string(), "email": string()}),
          problems=("invalid_token", "weak_password"), source_limit="reset",
          description=(
              "Sets the first password of an invited staff account with the token from the "
              "invitation link; the link is used up. The person then signs in and enrols TOTP."),
          example=Example(request={"token": "inv_Xb3k9QmZ2vL7pR4tN8wY1A.secret",
                                   "new_password": "Lantern-Harbor-Quill-2026"},
                          response={"status": "invitation_accepted",
                                    "email": "officer@demo-county.example"}))
def accept_invitation(request: ApiRequest):
    account = invitations.accept(request.body["token"], request.body["new_password"],
                                 request.client)
    return {"status": "invitation_accepted", "email": account.email}


def _words() -> dict[str, str]:
    """The page's words in the request's language (the template escapes them)."""
    return {
        "title": _("Set up your staff account"),
        "intro": _("Choose the password for your new Kinlink staff account. You will set up an "
                   "authenticator app the first time you sign in."),
        "password_label": _("New password"),
        "password_hint": _("At least 12 characters. A few unrelated words are easy to remember "
                           "and hard to guess. Upper and lower case letters count as "
                           "different."),
        "caps_lock": _("Caps Lock is on."),
        "show_password": _("Show password"),
        "submit": _("Save my password"),
        "incomplete": _("This invitation link is incomplete. Open the link from the email "
                        "again, or ask your administrator to invite you again."),
        "too_short": _("Use at least 12 characters."),
        "saving": _("Saving your password…"),
        "done": _("Your password is saved. Sign in with your email address and this password; "
                  "you will then be asked to set up an authenticator app."),
        "invalid": _("This invitation link has expired or was already used. Ask your "
                     "administrator to invite you again."),
        "weak": _("This password is not accepted. Please choose another one."),
        "failed": _("Something went wrong. Please try again."),
        "offline": _("We could not reach Kinlink. Check your connection and try again."),
    }


@endpoint(bp, "GET", invitations.ACCEPT_PAGE_PATH,
          summary="The page an invitation link opens (HTML)", tag="pages",
          query={**obj(), "additionalProperties": True}, response=pages.HTML,
          description=(
              "The HTML page an invitation link opens: it reads the token from the link's "
              "fragment and posts the chosen password to `POST /v1/auth/invitations/accept`."),
          example=Example(
              response='<!doctype html><html lang="en">...<h1>Choose your password</h1>...</html>'))
def accept_invitation_page(request: ApiRequest):
    return pages.page(ACCEPT_PAGE, **_words())
