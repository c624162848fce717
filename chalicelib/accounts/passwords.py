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
from chalicelib.core.i18n import N_, _, ngettext

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3
ALGORITHM = "bcrypt_sha256"


class WeakPassword(InvalidRequest):
    code = "weak_password"
    title = N_("Password not accepted")

    def __init__(self, detail: str, suggestions: list[str]) -> None:
        super().__init__(detail, suggestions=suggestions)


# zxcvbn's feedback is English only (its own gettext calls have no catalog): every sentence it
# can say is marked here, so ours translate it; one it gains in a later version is left out
# rather than shown untranslated (tests/test_catalogs.py compares this list with the library).
ZXCVBN_FEEDBACK = frozenset({
    N_("Use a few words, avoid common phrases."),
    N_("No need for symbols, digits, or uppercase letters."),
    N_("Add another word or two. Uncommon words are better."),
    N_("Straight rows of keys are easy to guess."),
    N_("Short keyboard patterns are easy to guess."),
    N_("Use a longer keyboard pattern with more turns."),
    N_('Repeats like "aaa" are easy to guess.'),
    N_('Repeats like "abcabcabc" are only slightly harder to guess than "abc".'),
    N_("Avoid repeated words and characters."),
    N_('Sequences like "abc" or "6543" are easy to guess.'),
    N_("Avoid sequences."),
    N_("Recent years are easy to guess."),
    N_("Avoid recent years."),
    N_("Avoid years that are associated with you."),
    N_("Dates are often easy to guess."),
    N_("Avoid dates and years that are associated with you."),
    N_("This is a top-10 common password."),
    N_("This is a top-100 common password."),
    N_("This is a very common password."),
    N_("This is similar to a commonly used password."),
    N_("A word by itself is easy to guess."),
    N_("Names and surnames by themselves are easy to guess."),
    N_("Common names and surnames are easy to guess."),
    N_("Capitalization doesn't help very much."),
    N_("All-uppercase is almost as easy to guess as all-lowercase."),
    N_("Reversed words aren't much harder to guess."),
    N_("Predictable substitutions like '@' instead of 'a' don't help very much."),
})


def normalize(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def check_new_password(password: str, email: str = "", other_inputs: tuple[str, ...] = ()) -> str:
    """The normalised password if acceptable; otherwise ``WeakPassword`` with suggestions."""
    password = normalize(password)
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            ngettext("Use at least %(n)s character.", "Use at least %(n)s characters.",
                     MIN_LENGTH),
            [_("A few unrelated words make a long password that is easy to remember.")])
    if len(password) > MAX_LENGTH:
        raise WeakPassword(
            ngettext("Use at most %(n)s character.", "Use at most %(n)s characters.", MAX_LENGTH),
            [ngettext("Choose a password of %(n)s character or fewer.",
                      "Choose a password of %(n)s characters or fewer.", MAX_LENGTH)])
    local_part = email.split("@", 1)[0].casefold()
    if len(local_part) >= 3 and local_part in password.casefold():
        raise WeakPassword(_("The password must not contain your email address."),
                           [_("Leave your name and email address out of your password.")])
    from zxcvbn import zxcvbn  # imported on first use: it is slow to import and cold starts matter

    verdict = zxcvbn(password, user_inputs=[i for i in (email, *other_inputs) if i],
                     max_length=MAX_LENGTH)
    if verdict["score"] < MIN_SCORE:
        feedback = verdict["feedback"]
        said = [feedback.get("warning"), *feedback.get("suggestions", [])]
        suggestions = [_(text) for text in said if text in ZXCVBN_FEEDBACK]
        suggestions = suggestions or [_("Add more words or characters that are hard to guess.")]
        raise WeakPassword(_("This password is too easy to guess."), suggestions)
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
