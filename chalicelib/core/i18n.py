"""Every word a person reads comes from the gettext catalogs in ``chalicelib/locales``.

Code writes English message ids through ``_`` (now, in the current language), ``ngettext``
(plural forms) or ``N_`` (marks an id translated later, e.g. a class attribute); ``make
catalogs`` extracts them, merges the ``.po`` files and compiles the ``.mo`` files that ship.
The current language is a context variable: the web edge sets it per request (account, else
``Accept-Language``, else English) and notification delivery per recipient.  Adding a language
is a new ``.po`` file and one entry in ``LANGUAGES``.  Why: docs/decisions/languages.md
"""
from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
LOCALES = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"

_language: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


def supported(tag: str | None) -> str | None:
    """The language we speak for a tag such as ``es-MX`` or ``ES``, or None."""
    primary = (tag or "").strip().split("-")[0].split("_")[0].lower()
    return primary if primary in LANGUAGES else None


def negotiate(accept_language: str | None) -> str:
    """The best language of an ``Accept-Language`` header (RFC 9110 quality values)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "")[:512].split(",")):
        tag, _sep, params = part.partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = supported(tag)
        if language and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def current() -> str:
    return _language.get()


@contextmanager
def using(language: str | None) -> Iterator[str]:
    """Speak ``language`` (unsupported or None: English) inside the block."""
    chosen = supported(language) or DEFAULT_LANGUAGE
    token = _language.set(chosen)
    try:
        yield chosen
    finally:
        _language.reset(token)


def switch(language: str | None) -> None:
    """Change the language of the block already opened by ``using`` (e.g. once the caller's
    account is known); an unsupported or empty value changes nothing."""
    chosen = supported(language)
    if chosen:
        _language.set(chosen)


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    with open(LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as compiled:
        return gettext.GNUTranslations(compiled)


def _(message: str, **params: object) -> str:
    """``message`` in the current language; ``%(name)s`` placeholders filled from ``params``."""
    text = _catalog(current()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    """The plural form for ``n`` in the current language; ``%(n)s`` is ``n``."""
    return _catalog(current()).ngettext(singular, plural, n) % {"n": n, **params}


def plural(singular: str, plural: str, n: int) -> str:
    """The plural form for ``n``, placeholders left unfilled (Jinja2's i18n extension fills them)."""
    return _catalog(current()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks ``message`` for the catalog without translating it now; pass it to ``_`` later."""
    return message


def format_money(cents: int, language: str | None = None) -> str:
    """``$12.50`` / ``12,50 US$``: amounts in the reader's conventions (Babel's CLDR data)."""
    from babel.numbers import format_currency  # imported when used: keeps cold start small

    return format_currency(Decimal(cents) / 100, "USD", locale=language or current())


def format_datetime(moment: datetime, timezone: str, language: str | None = None,
                    style: str = "medium") -> str:
    """A moment as people at ``timezone`` (a facility's IANA zone) read it, in their language."""
    from babel.dates import format_datetime as babel_format
    from zoneinfo import ZoneInfo

    return babel_format(moment, style, tzinfo=ZoneInfo(timezone), locale=language or current())
