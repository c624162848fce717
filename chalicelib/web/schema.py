"""Request validation from the same JSON Schema fragments the OpenAPI document publishes:
a small interpreter for the subset we use, whose messages name the offending field (in the
request's language: ``x-pattern-problem`` holds an ``N_`` id).  Unknown fields are refused.
``written_text`` and ``person_name`` formats are the one place that says what such text may
hold (no control or bidi characters; no URL in names).
Why: docs/decisions/web-edge.md
"""
from __future__ import annotations

import math
import re
import unicodedata
from functools import cache

from chalicelib.core.i18n import N_, _, ngettext


def problems(schema: dict, value, where: str = "") -> list[dict]:
    """Every way ``value`` breaks ``schema``, as ``{"field", "problem"}`` items."""
    kind = schema.get("type")
    name = where or "body"
    checker = _CHECKERS.get(kind)
    if checker is None:
        raise ValueError(f"unsupported schema type {kind!r}")
    return checker(schema, value, name)


def _object(schema, value, name):
    if not isinstance(value, dict):
        return [{"field": name, "problem": _("must be a JSON object")}]
    found = []
    properties = schema.get("properties", {})
    for key in schema.get("required", []):
        if key not in value or value[key] is None:
            found.append({"field": _join(name, key), "problem": _("is required")})
    for key, item in value.items():
        if key not in properties:
            if schema.get("additionalProperties") is not True:
                found.append({"field": _join(name, key), "problem": _("is not a known field")})
        elif item is not None or key in schema.get("required", []):
            found.extend(problems(properties[key], item, _join(name, key)))
    return found


def _string(schema, value, name):
    if not isinstance(value, str):
        return [{"field": name, "problem": _("must be a string")}]
    if _LONE_SURROGATE.search(value):
        # JSON can spell "\ud800" alone; it is no character and cannot be stored as UTF-8.
        return [{"field": name, "problem": _("must be valid Unicode text (no lone surrogates)")}]
    if "enum" in schema and value not in schema["enum"]:
        return [{"field": name, "problem": _("must be one of %(choices)s",
                                             choices=", ".join(schema["enum"]))}]
    if len(value) < schema.get("minLength", 0):
        return [{"field": name, "problem": ngettext("must be at least %(n)s character",
                                                    "must be at least %(n)s characters",
                                                    schema["minLength"])}]
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return [{"field": name, "problem": ngettext("must be at most %(n)s character",
                                                    "must be at most %(n)s characters",
                                                    schema["maxLength"])}]
    if "pattern" in schema and not _compiled(schema["pattern"]).search(value):
        return [{"field": name, "problem": _(schema.get("x-pattern-problem", WRONG_FORMAT))}]
    format_problem = _FORMATS.get(schema.get("format"), _no_problem)(value)
    return [{"field": name, "problem": format_problem}] if format_problem else []


WRONG_FORMAT = N_("has the wrong format")  # marked outside _(): pybabel misses nested ids
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Bidirectional embeddings, overrides (U+202A-U+202E) and isolates (U+2066-U+2069).  The plain
# marks (U+200E, U+200F) stay allowed: right-to-left text needs them and they reorder nothing.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# A scheme ("https:", "mailto:"), "www." or a dotted host name with a top-level domain of two
# letters or more ("evil.example", "bit.ly/x"); a dot followed by a space ("J. R. Smith") is fine.
# Checked after NFKC, which turns full-width dots into "."; browsers also read "\u3002" as one.
_URL_LIKE = re.compile(r"[a-z][a-z0-9+.-]*:/|\b(?:mailto|javascript|data):|\bwww[.\u3002]|"
                       r"[^\W_][\w-]*[.\u3002][^\W\d_]{2,}", re.IGNORECASE)


def _no_problem(value: str) -> None:
    return None


def _text_problem(value: str, allowed_controls: str = "\n\t") -> str | None:
    if any(unicodedata.category(c) == "Cc" and c not in allowed_controls for c in value):
        return (_("must not contain control characters other than newline and tab")
                if allowed_controls else _("must not contain control characters"))
    if _BIDI_CONTROLS.search(value):
        return _("must not contain bidirectional override or isolate characters")
    return None


def _name_problem(value: str) -> str | None:
    problem = _text_problem(value, allowed_controls="")
    if problem is None and _URL_LIKE.search(unicodedata.normalize("NFKC", value)):
        problem = _("must not contain a web address or link")
    return problem


_FORMATS = {"written-text": _text_problem, "person-name": _name_problem}


def _integer(schema, value, name):
    if isinstance(value, bool) or not isinstance(value, int):
        return [{"field": name, "problem": _("must be an integer")}]
    if "minimum" in schema and value < schema["minimum"]:
        return [{"field": name, "problem": _("must be at least %(minimum)s",
                                             minimum=schema["minimum"])}]
    if "maximum" in schema and value > schema["maximum"]:
        return [{"field": name, "problem": _("must be at most %(maximum)s",
                                             maximum=schema["maximum"])}]
    return []


def _number(schema, value, name):
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return [{"field": name, "problem": _("must be a number")}]
    if "minimum" in schema and value < schema["minimum"]:
        return [{"field": name, "problem": _("must be at least %(minimum)s",
                                             minimum=schema["minimum"])}]
    if "maximum" in schema and value > schema["maximum"]:
        return [{"field": name, "problem": _("must be at most %(maximum)s",
                                             maximum=schema["maximum"])}]
    return []


def _boolean(schema, value, name):
    return [] if isinstance(value, bool) else [{"field": name,
                                                "problem": _("must be true or false")}]


def _array(schema, value, name):
    if not isinstance(value, list):
        return [{"field": name, "problem": _("must be an array")}]
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        return [{"field": name, "problem": ngettext("must hold at most %(n)s item",
                                                    "must hold at most %(n)s items",
                                                    schema["maxItems"])}]
    found = []
    for index, item in enumerate(value):
        found.extend(problems(schema["items"], item, f"{name}[{index}]"))
    return found



_CHECKERS = {"object": _object, "string": _string, "integer": _integer, "number": _number,
             "boolean": _boolean, "array": _array}


def _join(parent: str, key: str) -> str:
    return key if parent == "body" else f"{parent}.{key}"


@cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


# Shorthands for the schemas routes declare.
def obj(required: dict | None = None, optional: dict | None = None) -> dict:
    properties = {**(required or {}), **(optional or {})}
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


def string(min_length: int = 0, max_length: int = 1000, **extra) -> dict:
    return {"type": "string", "minLength": min_length, "maxLength": max_length, **extra}


def written_text(min_length: int = 0, max_length: int = 1000) -> dict:
    """Text a person writes for others to read (see the module doc)."""
    return string(min_length, max_length, format="written-text")


def person_name(min_length: int = 1, max_length: int = 200) -> dict:
    """A person's name: written text on one line, without links (see the module doc)."""
    return string(min_length, max_length, format="person-name")


def integer(minimum: int | None = None, maximum: int | None = None) -> dict:
    schema = {"type": "integer"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


BOOLEAN = {"type": "boolean"}
EMAIL = string(3, 254, format="email", pattern=r"^ *[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+ *$",
               **{"x-pattern-problem": N_("must be an email address like name@example.com")})
PASSWORD = string(1, 1024, format="password")  # the exact 12–128 rule is the domain's (NFKC first)
CODE = string(1, 64)
# A phone number as people type it: E.164 or a US national format ("503-555-0142"); the
# domain parses it (phonenumbers) and answers E.164.
PHONE = string(2, 32, pattern=r"^[+0-9(][0-9 ().-]{1,31}$", **{
    "x-pattern-problem": N_("must be a phone number like +15035550142 or 503-555-0142")})


def named(name: str, schema: dict) -> dict:
    """``schema`` published once, as ``components/schemas/<name>``, and referred to by name
    wherever it is used (response schemas: requests keep their own limits inline)."""
    return {**schema, "x-schema-name": name}


# Response schemas only (requests spell "absent" by leaving a field out or sending null).
NULLABLE_STRING = {"type": ["string", "null"]}


def page_of(item: dict) -> dict:
    """The response schema of a list endpoint: ``{items: [item], next_cursor}`` (null on the
    last page)."""
    return obj({"items": {"type": "array", "items": item}, "next_cursor": NULLABLE_STRING})

# The tokens of a new session (sign-in, refresh, kiosk sign-in).
TOKENS = named("Tokens", obj(
    {"access_token": string(), "refresh_token": string(), "token_type": string(),
     "expires_in": {"type": "integer"}}, {"mfa_enrollment_required": BOOLEAN}))
