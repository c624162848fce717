"""Refuse card numbers: card data must never reach the API (PCI scope), only processor tokens.

Any string in a payments request (body or query) holding a run of 13 to 19 digits, single
spaces or dashes allowed between digits, that passes the Luhn check is refused with 400
``card_number_not_allowed``.  The error names the field, never the value; nothing is stored or
logged.  Only maximal runs are checked (a 13–19 digit window inside a longer number is not a
card someone typed), which keeps long numeric references from being refused by chance.
"""
from __future__ import annotations

import re
from typing import Any
from collections.abc import Iterator

from chalicelib.core.errors import InvalidRequest
from chalicelib.core.i18n import _

_DIGIT_RUN = re.compile(r"\d(?:[ -]?\d)*")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def holds_card_number(text: str) -> bool:
    for run in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"[ -]", "", run.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            return True
    return False


def refuse_card_numbers(*documents: Any) -> None:
    for field, text in _strings(documents):
        if holds_card_number(text):
            raise InvalidRequest(
                _("Card numbers must not be sent to this API; pay with the payment method token "
                  "your card form returns."), code="card_number_not_allowed",
                errors=[{"field": field, "problem": _("looks like a card number")}])


def _strings(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where or "body", value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]" if where else "")
