"""Password policy and hashing (docs/api.md "Accounts and sign-in"; NIST SP 800-63B; ASVS 2.1, 2.4.4).

Policy: NFKC first, then 12–128 characters, no composition rules, refused when zxcvbn scores it
below 3 or when it contains the email's local part.  zxcvbn is a maintained estimator that knows
common passwords, dictionary words, keyboard walks and dates: far better than a home-made list.

Hashing: bcrypt over the base64 SHA-256 of the password, so every character counts (bcrypt alone
reads 72 bytes, and bcrypt 5 refuses longer input).  Hashes describe themselves as
``bcrypt_sha256$<bcrypt hash>``; a hash made at an older cost is upgraded at the next sign-in.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import unicodedata

from chalicelib.config import get_settings
from chalicelib.core.errors import InvalidRequest

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3
ALGORITHM = "bcrypt_sha256"


class WeakPassword(InvalidRequest):
    code = "weak_password"
    title = "Password not accepted"

    def __init__(self, detail: str, suggestions: list[str]) -> None:
        super().__init__(detail, suggestions=suggestions)


def normalize(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def check_new_password(password: str, email: str = "", other_inputs: tuple[str, ...] = ()) -> str:
    """The normalised password if acceptable; otherwise ``WeakPassword`` with suggestions."""
    password = normalize(password)
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters.",
                           ["A few unrelated words make a long password that is easy to remember."])
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters.",
                           [f"Choose a password of {MAX_LENGTH} characters or fewer."])
    local_part = email.split("@", 1)[0].casefold()
    if len(local_part) >= 3 and local_part in password.casefold():
        raise WeakPassword("The password must not contain your email address.",
                           ["Leave your name and email address out of your password."])
    from zxcvbn import zxcvbn  # imported on first use: it is slow to import and cold starts matter

    verdict = zxcvbn(password, user_inputs=[i for i in (email, *other_inputs) if i],
                     max_length=MAX_LENGTH)
    if verdict["score"] < MIN_SCORE:
        feedback = verdict["feedback"]
        suggestions = [s for s in feedback.get("suggestions", []) if s]
        if feedback.get("warning"):
            suggestions.insert(0, feedback["warning"])
        suggestions = suggestions or ["Add more words or characters that are hard to guess."]
        raise WeakPassword("This password is too easy to guess.", suggestions)
    return password


def _prehash(password: str) -> bytes:
    digest = hashlib.sha256(normalize(password).encode("utf-8")).digest()
    return base64.b64encode(digest)  # 44 bytes, no NUL: safe for bcrypt


def hash_password(password: str, cost: int | None = None) -> str:
    import bcrypt

    rounds = cost or get_settings().bcrypt_cost
    hashed = bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds)).decode("ascii")
    return f"{ALGORITHM}${hashed}"


def verify_password(password: str, stored: str | None) -> tuple[bool, bool]:
    """``(matches, needs_rehash)``.  With no stored hash, a dummy hash of the same cost is
    checked so an unknown account costs the same time as a known one."""
    import bcrypt

    if not stored or not stored.startswith(ALGORITHM + "$"):
        bcrypt.checkpw(_prehash(password), _dummy_hash(get_settings().bcrypt_cost))
        return False, False
    hashed = stored.split("$", 1)[1].encode("ascii")
    matches = bcrypt.checkpw(_prehash(password), hashed)
    return matches, matches and _cost_of(hashed) != get_settings().bcrypt_cost


@functools.lru_cache(maxsize=4)
def _dummy_hash(cost: int) -> bytes:
    import bcrypt

    return bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(cost))


def _cost_of(hashed: bytes) -> int:
    return int(hashed.split(b"$")[2])
