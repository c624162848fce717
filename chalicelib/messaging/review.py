"""What a facility's review rules (watch words, auto-approval, rejection reasons, free
replies) say about a message, free of storage and HTTP.  The rules:
``docs/decisions/message-review.md``."""
from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib import facilities


@dataclass(frozen=True)
class ReviewRules:
    watch_words: tuple[str, ...] = ()  # every language's, checked whatever the message's
    auto_approve_clean_messages: bool = False
    inmate_replies_free: bool = False

    @classmethod
    def from_facility_rules(cls, rules: dict) -> ReviewRules:
        return cls(
            watch_words=facilities.all_watch_words(rules),
            auto_approve_clean_messages=bool(rules.get("auto_approve_clean_messages", False)),
            inmate_replies_free=bool(rules.get("inmate_replies_free", False)),
        )

    def watch_list_hits(self, body: str) -> list[str]:
        """The watch words found in ``body`` (as the facility spelled them), in list order;
        case and accents do not matter ("ÁRMAS" is "armas")."""
        folded = facilities.fold(body)
        return [word for word in self.watch_words
                if re.search(rf"(?<!\w){re.escape(facilities.fold(word))}(?!\w)", folded)]

    def delivers_at_once(self, hits: list[str]) -> bool:
        return self.auto_approve_clean_messages and not hits
