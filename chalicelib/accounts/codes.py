"""One-time codes (reset, phone, email change) and the link tokens issued with them.
A code is 6 digits, stored only as an HMAC, single use, dead after ``code_max_attempts`` wrong
tries; a link has its own budget, so wrong codes never kill it, and names no account.  Every
guess spends an attempt first, so parallel guessing cannot exceed the budget.  Every code
message first spends the account's ``code_messages`` allowance (``TooManyCodesSent``).
Why: docs/decisions/one-time-codes.md
"""
from __future__ import annotations

from dataclasses import dataclass

from pynamodb.transactions import TransactWrite

from chalicelib.config import get_settings
from chalicelib.core import clock, secrets
from chalicelib.core.errors import InvalidRequest, RateLimited
from chalicelib.core.ratelimit import RatePolicy
from chalicelib.core.store import get_or_none, written
from chalicelib.core.i18n import N_, _
from chalicelib.accounts.store import LinkToken, OneTimeCode


class InvalidOrExpiredCode(InvalidRequest):
    code = "invalid_or_expired_code"

    def __init__(self) -> None:
        super().__init__(_("The code is wrong or has expired. Ask for a new one."))


class TooManyCodesSent(RateLimited):
    code = "too_many_codes_sent"
    title = N_("Too many codes sent")

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(_("Too many codes were sent to this account lately. Use the last one, or "
                           "try again later."), retry_after_seconds=retry_after_seconds)


@dataclass(frozen=True)
class IssuedCode:
    code: str
    token: str | None = None  # the link form, when asked for


_LINK_PREFIX = "link#"


def _subject(purpose: str, owner_id: str) -> str:
    return f"{purpose}#{owner_id}"


def count_message(account_id: str) -> None:
    """Spend one of the account's code messages; raises ``TooManyCodesSent`` past the limit.
    Call it before sending any code (``issue`` does)."""
    decision = RatePolicy.configured("code_messages").hit(account_id)
    if not decision.allowed:
        raise TooManyCodesSent(decision.retry_after_seconds)


def issue(purpose: str, owner_id: str, *, account_id: str | None, with_token: bool = False,
          ttl_seconds: int | None = None) -> IssuedCode:
    """A new code (replacing any earlier one of ``purpose`` and ``owner_id``) to be sent to the
    owner of ``account_id``, whose code-message allowance it spends.  ``account_id=None`` only
    for a message that gives the person no code to type (the unlock email holds a link only)."""
    if account_id is not None:
        count_message(account_id)
    settings = get_settings()
    now = clock.now()
    expires_at = now + (ttl_seconds or settings.verification_code_seconds)
    subject = _subject(purpose, owner_id)
    code = secrets.new_numeric_code()
    token = _new_link(subject, expires_at) if with_token else None
    record = OneTimeCode(
        subject,
        code_digest=digest(purpose, owner_id, code),
        token_digest=secrets.token_digest(token) if token else None,
        attempts_left=settings.code_max_attempts,
        created_at=int(now),
    )
    record.set_expiry(expires_at)
    record.save()
    return IssuedCode(code, token)


def digest(purpose: str, owner_id: str, code: str) -> str:
    """How a code of ``purpose`` for ``owner_id`` is stored: an HMAC bound to both."""
    return secrets.keyed_digest(code, _subject(purpose, owner_id))


def _new_link(code_subject: str, expires_at: float) -> str:
    """A link token for the code record ``code_subject`` (its pointer written first: a pointer
    whose code was never saved opens nothing)."""
    link_id = secrets.new_id()
    pointer = LinkToken(_LINK_PREFIX + link_id, code_subject=code_subject)
    pointer.set_expiry(expires_at)
    pointer.save(condition=LinkToken.subject.does_not_exist())
    return f"{link_id}.{secrets.new_token()}"


def consume(purpose: str, owner_id: str, code: str) -> bool:
    """True exactly once for the right, live code; False otherwise (and one attempt is spent)."""
    record = check(purpose, owner_id, code)
    return record is not None and _delete_if(record, OneTimeCode.code_digest == record.code_digest)


def check(purpose: str, owner_id: str, code: str) -> OneTimeCode | None:
    """The live record of the right code, not used up yet (see ``use_in``); None for a wrong,
    dead or unknown code.  Either way one attempt is spent."""
    subject = _subject(purpose, owner_id)
    now = int(clock.now())
    record = OneTimeCode(subject)
    # Refused: no live code, or no attempt left.  Any other failure propagates (a 503: not the
    # person's fault, and no attempt was spent).
    if not written(lambda: record.update(
            actions=[OneTimeCode.attempts_left.add(-1)],
            condition=(OneTimeCode.subject.exists() & (OneTimeCode.attempts_left > 0)
                       & (OneTimeCode.expires_at > now)))):
        return None
    if not secrets.same(record.code_digest, secrets.keyed_digest(code, subject)):
        if record.attempts_left <= 0 and record.token_digest is None:
            _delete_if(record, OneTimeCode.attempts_left <= 0)
        return None
    return record


def use_in(transaction: TransactWrite, record: OneTimeCode) -> None:
    """Use up the code ``check`` or ``live_token`` returned, as part of ``transaction``: the
    code dies if and only if what it authorised is committed, and only once (a parallel use
    fails the condition and with it the whole transaction)."""
    transaction.delete(record, condition=OneTimeCode.code_digest == record.code_digest)


def revoke_in(transaction: TransactWrite, purpose: str, owner_id: str) -> None:
    """Kill any outstanding code of ``purpose`` as part of ``transaction``."""
    transaction.delete(OneTimeCode(_subject(purpose, owner_id)))


def is_live(purpose: str, owner_id: str) -> bool:
    record = get_or_none(OneTimeCode, _subject(purpose, owner_id))
    return record is not None and not record.is_expired()


def owner_of(record: OneTimeCode) -> str:
    """The owner of a code record (``live_token`` found it from a token naming no one)."""
    return record.subject.partition("#")[2]


def live_token(purpose: str, token: str) -> OneTimeCode | None:
    """The live record whose link token ``token`` is, not used up yet (see ``use_in``)."""
    link_id, _dot, secret = token.partition(".")
    if not link_id or not secret:
        return None
    pointer = get_or_none(LinkToken, _LINK_PREFIX + link_id)
    if pointer is None or pointer.is_expired() \
            or not pointer.code_subject.startswith(f"{purpose}#"):
        return None
    record = get_or_none(OneTimeCode, pointer.code_subject)
    if record is None or record.is_expired():
        return None
    if not secrets.same(record.token_digest, secrets.token_digest(token)):
        return None
    return record


def withdraw(purpose: str, owner_id: str, issued: IssuedCode) -> None:
    """Delete the code ``issued`` made (it was never delivered), unless a newer one replaced it."""
    subject = _subject(purpose, owner_id)
    _delete_if(OneTimeCode(subject),
               OneTimeCode.code_digest == secrets.keyed_digest(issued.code, subject))
    if issued.token:
        LinkToken(_LINK_PREFIX + issued.token.partition(".")[0]).delete()


def _delete_if(record: OneTimeCode, condition) -> bool:
    return written(lambda: record.delete(condition=condition))
