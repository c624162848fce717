"""What a facility's review rules (watch words, auto-approval, rejection reasons, free
replies) say about a message, free of storage and HTTP.  The rules:
``docs/decisions/message-review.md``."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

DEFAULT_REJECTION_REASONS = ("Other",)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class ReviewRules:
    watch_words: tuple[str, ...] = ()
    auto_approve_clean_messages: bool = False
    rejection_reasons: tuple[str, ...] = DEFAULT_REJECTION_REASONS
    inmate_replies_free: bool = False

    @classmethod
    def from_facility_rules(cls, rules: dict) -> ReviewRules:
        words = rules.get("watch_words") or ()
        if isinstance(words, dict):  # {"en": [...], "es": [...]}: every language's words
            words = [word for listed in words.values() for word in listed]
        reasons = [reason["en"] if isinstance(reason, dict) else reason
                   for reason in rules.get("rejection_reasons") or ()]
        return cls(
            watch_words=tuple(str(w) for w in words if str(w).strip()),
            auto_approve_clean_messages=bool(rules.get("auto_approve_clean_messages", False)),
            rejection_reasons=tuple(reasons or DEFAULT_REJECTION_REASONS),
            inmate_replies_free=bool(rules.get("inmate_replies_free", False)),
        )

    def watch_list_hits(self, body: str) -> list[str]:
        """The watch words found in ``body`` (as the facility spelled them), in list order."""
        folded = _fold(body)
        return [word for word in self.watch_words
                if re.search(rf"(?<!\w){re.escape(_fold(word))}(?!\w)", folded)]

    def delivers_at_once(self, hits: list[str]) -> bool:
        return self.auto_approve_clean_messages and not hits
