"""How a facility's rules list its watch words and rejection reasons, per language: the one
reader of that part of ``Facility.rules`` (message review and the rules endpoint use it).

``watch_words`` is ``{"en": [...], "es": [...]}`` (a flat list, the old shape, is English);
``rejection_reasons`` is ``[{"code", "en", "es"}]`` (a flat list of English texts, the old
shape, gets codes made from the texts).  A text missing in a language falls back to English;
the code never changes.  Pure logic, no storage.
Why: docs/decisions/languages.md
"""
from __future__ import annotations

import re
import unicodedata

from chalicelib.core import i18n
from chalicelib.core.i18n import N_

OTHER = {"code": "other", "text": N_("Other")}


def watch_words(rules: dict) -> dict[str, tuple[str, ...]]:
    """The facility's watch words by language (only the languages it lists)."""
    raw = rules.get("watch_words") or {}
    if not isinstance(raw, dict):
        raw = {i18n.DEFAULT_LANGUAGE: raw}
    return {language: tuple(str(word).strip() for word in words if str(word).strip())
            for language, words in raw.items() if words}


def all_watch_words(rules: dict) -> tuple[str, ...]:
    """Every language's words, each once, in the order listed: a message is checked against
    all of them whatever language it is written in."""
    seen: dict[str, str] = {}
    for words in watch_words(rules).values():
        for word in words:
            seen.setdefault(fold(word), word)
    return tuple(seen.values())


def fold(text: str) -> str:
    """What matching compares: case, accents and compatibility forms ignored ("ÁRMAS" is
    "armas"; "año" is "ano", a false flag staff can dismiss, never a missed word)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFKC", stripped).casefold()


def rejection_reasons(rules: dict) -> list[dict[str, str]]:
    """``[{"code", "en", "es", ...}]``; a facility listing none has "other"."""
    raw = rules.get("rejection_reasons") or []
    reasons = [_reason(entry) for entry in raw]
    reasons = [reason for reason in reasons if reason["code"] and reason.get("en")]
    if reasons:
        return reasons
    return [{"code": OTHER["code"], **{language: _in(language, OTHER["text"])
                                       for language in i18n.LANGUAGES}}]


def reason_code(rules: dict, given: str | None) -> str | None:
    """The code of the reason staff gave: its code or, as before codes, its English text."""
    for reason in rejection_reasons(rules):
        if given in (reason["code"], reason["en"]):
            return reason["code"]
    return None


def rejection_reason(rules: dict, code: str, language: str | None) -> str | None:
    """The reason's words in ``language`` (English when the facility has none in it)."""
    for reason in rejection_reasons(rules):
        if reason["code"] == code:
            return reason.get(i18n.supported(language) or i18n.DEFAULT_LANGUAGE) or reason["en"]
    return None


def reason_texts(rules: dict, code: str) -> dict[str, str]:
    """The reason's words in every language Kinlink speaks (a rejected message keeps them, so
    what the family reads does not change when the rules do)."""
    return {language: rejection_reason(rules, code, language) or code
            for language in i18n.LANGUAGES}


def _reason(entry: object) -> dict[str, str]:
    if isinstance(entry, dict):
        return {str(key): str(value).strip() for key, value in entry.items()}
    text = str(entry).strip()
    return {"code": re.sub(r"[^a-z0-9]+", "_", fold(text)).strip("_"), "en": text}


def _in(language: str, message: str) -> str:
    with i18n.using(language):
        return i18n._(message)
