"""HTTP routes of a staff invitation's far end (api.md "Operating a facility"): the page the
emailed link opens and the endpoint it posts to.  The admin's side (``POST /v1/admin/staff``)
is a facilities route: it checks the facility first.  The page (pages/accept_invitation.html)
speaks the request's language; its script reads the token from the fragment and posts it.
"""
from __future__ import annotations

from pathlib import Path

from chalice import Blueprint

from chalicelib.accounts import page_paths
from chalicelib.core import lazy
from chalicelib.web import pages
from chalicelib.web.endpoint import ApiRequest, Example, endpoint
from chalicelib.web.schema import PASSWORD, obj, string

invitations = lazy.module("chalicelib.accounts.invitations")

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


@endpoint(bp, "GET", page_paths.ACCEPT_PAGE_PATH,
          summary="The page an invitation link opens (HTML)", tag="pages",
          query={**obj(), "additionalProperties": True}, response=pages.HTML,
          description=(
              "The HTML page an invitation link opens: it reads the token from the link's "
              "fragment and posts the chosen password to `POST /v1/auth/invitations/accept`."),
          example=Example(
              response='<!doctype html><html lang="en">...<h1>Set up your staff account</h1>...</html>'))
def accept_invitation_page(request: ApiRequest):
    return pages.page(ACCEPT_PAGE)
