"""Sessions and their tokens (ASVS V3): ``<session_id>.<secret>``, stored as digests.
Every check happens on each request, against the table, so revocation takes effect at once.
Refresh rotates both tokens; presenting an old refresh secret revokes the session, but only a
failed condition means theft (a DynamoDB failure is a 503).  Enrolment-only sessions are
accepted only by endpoints declared ``during_mfa_enrollment``.
Why: docs/decisions/sessions.md
"""
from __future__ import annotations

from typing import NamedTuple, Protocol
from collections.abc import Callable


from chalicelib.config import get_settings
from chalicelib.core import clock, lazy, secrets
from chalicelib.core.errors import Forbidden, Unauthenticated
from chalicelib.core.identity import Client, Principal
from chalicelib.core.store import decode_cursor, expiry_update_actions, get_or_none, page, written
from chalicelib.core.i18n import N_, _
from chalicelib.accounts import activity, devices
from chalicelib.accounts.store import Account, Session, account_by_id

RETIRED_REFRESH_KEPT = 20
TOUCH_EVERY_SECONDS = 60  # last-used time is written at most once a minute per session


class SessionHolder(Protocol):
    """Whoever a session belongs to, as ``open_session`` and the per-request checks read it."""

    account_id: str
    role: str
    facility_id: str | None
    session_epoch: int
    disabled: bool
    language: str | None


# The holder of a session is re-read on every request (disabled? epoch moved on?).  Accounts
# hold family, staff and admin sessions; a role whose holder lives elsewhere (the inmate kiosk
# session belongs to an inmate record) registers its loader here.
_HOLDER_LOADERS: dict[str, Callable[[str], SessionHolder | None]] = {}


def register_holder_loader(role: str, loader: Callable[[str], SessionHolder | None]) -> None:
    _HOLDER_LOADERS[role] = loader


# A role whose sessions are bound to a device checks on every request (and refresh) that the
# caller still is that device: the guard raises ``Unauthenticated`` otherwise (kiosk sessions:
# the kiosk's key, and the kiosk still registered).
_SESSION_GUARDS: dict[str, Callable[[Session, Client], None]] = {}


def register_session_guard(role: str, guard: Callable[[Session, Client], None]) -> None:
    _SESSION_GUARDS[role] = guard


def _guard(session: Session, client: Client) -> None:
    lazy.load_registrations("sessions")
    guard = _SESSION_GUARDS.get(session.role)
    if guard is not None:
        guard(session, client)


def _holder(session: Session) -> SessionHolder | None:
    lazy.load_registrations("sessions")
    return _HOLDER_LOADERS.get(session.role, account_by_id)(session.account_id)


class MfaEnrollmentRequired(Forbidden):
    code = "mfa_enrollment_required"
    title = N_("Two-factor enrolment required")

    def __init__(self) -> None:
        super().__init__(_("Staff and administrators must use an authenticator app. Set it up "
                           "(TOTP setup, then confirm), then sign in again with a code."))


class TokenPair(NamedTuple):
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str
    mfa_enrollment_only: bool = False

    def as_response(self) -> dict:
        body = {"access_token": self.access_token, "refresh_token": self.refresh_token,
                "token_type": "Bearer", "expires_in": self.expires_in}
        if self.mfa_enrollment_only:
            body["mfa_enrollment_required"] = True
        return body


def open_session(account: Account | SessionHolder, client: Client,
                 *, kiosk_id: str | None = None, mfa_enrollment_only: bool = False) -> TokenPair:
    settings = get_settings()
    now = clock.now()
    lifetime = settings.session_absolute_seconds
    access_seconds = settings.access_token_seconds
    if mfa_enrollment_only:
        lifetime = settings.mfa_enrollment_session_seconds
        access_seconds = min(access_seconds, lifetime)
    session_id = secrets.new_id()
    access, refresh = secrets.new_token(), secrets.new_token()
    session = Session(
        session_id,
        account_id=account.account_id,
        role=account.role,
        facility_id=account.facility_id,
        epoch=account.session_epoch,
        access_digest=secrets.token_digest(access),
        access_expires_at=int(now + access_seconds),
        refresh_digest=secrets.token_digest(refresh),
        created_at=int(now),
        last_used_at=int(now),
        mfa_enrollment_only=mfa_enrollment_only,
        ip=client.ip,
        user_agent=client.user_agent,
        kiosk_id=kiosk_id,
    )
    session.set_expiry(now + lifetime)
    session.save(condition=Session.session_id.does_not_exist())
    return TokenPair(f"{session_id}.{access}", f"{session_id}.{refresh}", access_seconds,
                     session_id, mfa_enrollment_only)


def authenticate(token: str | None, roles: tuple[str, ...], client: Client,
                 during_mfa_enrollment: bool = False) -> Principal:
    """The caller behind an access token, or ``Unauthenticated``/``Forbidden``.
    ``during_mfa_enrollment``: the endpoint also accepts an enrolment-only session."""
    session_id, secret = _split(token)
    session = get_or_none(Session, session_id) if session_id else None
    now = clock.now()
    if (session is None or not secrets.same(session.access_digest, secrets.token_digest(secret))
            or session.access_expires_at <= now or not _alive(session, now)):
        raise Unauthenticated(_("Sign in again: the access token is missing, invalid or expired."),
                              code="invalid_token")
    holder = _holder(session)
    if holder is None or holder.disabled or holder.session_epoch != session.epoch:
        raise Unauthenticated(_("Sign in again: this session has ended."), code="invalid_token")
    _guard(session, client)
    if session.mfa_enrollment_only and not during_mfa_enrollment:
        raise MfaEnrollmentRequired()
    if session.role not in roles:
        raise Forbidden(_("This account cannot use this resource."))
    if now - session.last_used_at >= TOUCH_EVERY_SECONDS:
        _touch(session, now)
    return Principal(holder.account_id, session.role, session.session_id, session.facility_id,
                     holder.language)


def refresh(token: str, client: Client) -> TokenPair:
    settings = get_settings()
    session_id, secret = _split(token)
    session = get_or_none(Session, session_id) if session_id else None
    now = clock.now()
    invalid = Unauthenticated(_("The refresh token is invalid or expired. Sign in again."),
                              code="invalid_token")
    if session is None or not _alive(session, now):
        raise invalid
    digest = secrets.token_digest(secret)
    if any(secrets.same(digest, old) for old in session.retired_refresh_digests):
        _revoke_stolen(session, client)
        raise invalid
    if not secrets.same(session.refresh_digest, digest):
        raise invalid
    if session.mfa_enrollment_only:
        raise MfaEnrollmentRequired()
    holder = _holder(session)
    if holder is None or holder.disabled or holder.session_epoch != session.epoch:
        raise invalid
    _guard(session, client)
    access, new_refresh = secrets.new_token(), secrets.new_token()
    retired = (session.retired_refresh_digests + [session.refresh_digest])[-RETIRED_REFRESH_KEPT:]
    # Any failure but the condition propagates (a 503): the token was not rotated, not stolen.
    if not written(lambda: session.update(
            actions=[Session.access_digest.set(secrets.token_digest(access)),
                     Session.access_expires_at.set(int(now + settings.access_token_seconds)),
                     Session.refresh_digest.set(secrets.token_digest(new_refresh)),
                     Session.retired_refresh_digests.set(retired),
                     Session.last_used_at.set(int(now))],
            condition=(Session.refresh_digest == digest) & (Session.revoked == False))):  # noqa: E712
        # Someone rotated this token a moment ago: it was used twice, treat it as stolen.
        _revoke_stolen(session, client)
        raise invalid from None
    return TokenPair(f"{session_id}.{access}", f"{session_id}.{new_refresh}",
                     settings.access_token_seconds, session_id)


def revoke(session: Session) -> None:
    now = clock.now()
    session.update(actions=[Session.revoked.set(True)] + _expire_now(now))


def revoke_by_id(account_id: str, session_id: str, client: Client | None = None) -> bool:
    """Revoke one of the account's own sessions; False if it has no such live session."""
    session = get_or_none(Session, session_id)
    if session is None or session.account_id != account_id or not _alive(session, clock.now()):
        return False
    revoke(session)
    activity.record(account_id, "session_revoked", client, session_id=session_id,
                    device=devices.label(session.user_agent))
    return True


def log_out(principal: Principal, client: Client) -> None:
    session = current_session(principal)
    if session is not None:
        revoke(session)
        activity.record(principal.account_id, "logout", client, session_id=session.session_id)


def live_sessions(account: Account, current_session_id: str, limit: int,
                  cursor: str | None) -> dict:
    """The account's live sessions, newest first, one ``by_account`` Query per page.  Dead ones
    (revoked, older epoch, idle or past the absolute lifetime) are filtered out by DynamoDB, so
    a page may hold fewer than ``limit`` items while ``next_cursor`` is set."""
    now = int(clock.now())
    scope = f"sessions:{account.account_id}"
    alive = ((Session.revoked == False)  # noqa: E712 (PynamoDB DSL)
             & (Session.epoch == account.session_epoch) & (Session.expires_at > now)
             & (Session.last_used_at > now - get_settings().session_idle_seconds))
    results = Session.by_account.query(account.account_id, scan_index_forward=False,
                                       filter_condition=alive, limit=limit,
                                       last_evaluated_key=decode_cursor(cursor, scope))

    def render(session: Session) -> dict:
        return {"session_id": session.session_id, "device": devices.label(session.user_agent),
                "ip": session.ip, "created_at": clock.iso(session.created_at),
                "last_used_at": clock.iso(session.last_used_at),
                "current": session.session_id == current_session_id}

    return page(results, scope, render)


def current_session(principal: Principal) -> Session | None:
    return get_or_none(Session, principal.session_id)


def _alive(session: Session, now: float) -> bool:
    settings = get_settings()
    return (not session.revoked and not session.is_expired(now)
            and now - session.last_used_at < settings.session_idle_seconds)


def _revoke_stolen(session: Session, client: Client) -> None:
    revoke(session)
    activity.record(session.account_id, "refresh_token_reuse", client, outcome="failure",
                    session_id=session.session_id)


def _touch(session: Session, now: float) -> None:
    # Refused when revoked in the meantime; the next request will see it.
    written(lambda: session.update(actions=[Session.last_used_at.set(int(now))],
                                   condition=Session.revoked == False))  # noqa: E712


def _expire_now(now: float) -> list:
    return expiry_update_actions(Session, now)


def _split(token: str | None) -> tuple[str, str]:
    if not token or token.count(".") != 1 or len(token) > 200:
        return "", ""
    session_id, secret = token.split(".")
    return session_id, secret
