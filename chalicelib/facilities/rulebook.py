"""The ``FacilityRules`` document an admin puts (docs/api.md "Operating a facility"): its schema, the
rules the law or the contract forbids (422 ``rule_not_allowed`` naming each), and the write.
Keys are the ones the readers already use (``MoneyRules.from_map``, message review), so nothing
stored needed migrating; defaults fill what the document leaves out.
Why: docs/decisions/facility-operations.md
"""
from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from pynamodb.transactions import TransactWrite

from chalicelib.core import clock
from chalicelib.core.errors import Conflict, InvalidRequest, NotFound, Unprocessable, listing
from chalicelib.core.i18n import N_, _, format_money
from chalicelib.core.logs import log_event
from chalicelib.core.store import MONEY_STRIPES, write_together, written
from chalicelib.facilities import caps, store, visit_rules
from chalicelib.facilities.rules import MoneyRules

LANGUAGES = ("en", "es")
PAYERS = ("family", "inmate", "agency")
CENTS = {"type": "integer", "minimum": 0, "maximum": 10_000_000}


def _tiers(description: str) -> dict:
    tier = {"type": "object", "additionalProperties": False, "required": ["up_to_cents", "fee_cents"],
            "properties": {"up_to_cents": {"type": "integer", "minimum": 1, "maximum": 10_000_000},
                           "fee_cents": CENTS}}
    return {"type": "array", "maxItems": 20, "items": tier, "description": description}


def _text(max_length: int) -> dict:
    return {"type": "string", "minLength": 1, "maxLength": max_length, "format": "written-text"}


REASON = {"type": "object", "additionalProperties": False, "required": ["code", "en", "es"],
          "properties": {"code": {"type": "string", "minLength": 1, "maxLength": 64,
                                  "pattern": "^[a-z0-9_]+$",
                                  "x-pattern-problem": N_("must be lower-case letters, digits and _")},
                         "en": _text(200), "es": _text(200)}}
# A put that keeps meeting other admins' puts gives up after this many reads (409).
PUT_ATTEMPTS = 3
CLOCK_TIME = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
              "x-pattern-problem": N_("must be a time of day as HH:MM, 00:00 to 23:59")}
WORDS = {"type": "array", "maxItems": 500, "items": _text(100)}
FACILITY_RULES = {
    "type": "object", "additionalProperties": False,
    "description": "A facility's whole rules document (PUT replaces it; fields left out take "
                   "their defaults).",
    "required": ["stamp_price_cents", "fee_tiers", "processor_cost", "rejection_reasons",
                 "watch_words", "calls_paid_by", "call_rate_cents_per_minute", "call_max_minutes"],
    "properties": {
        "deposit_min_cents": {"type": "integer", "minimum": 1, "maximum": 10_000_000},
        "deposit_max_cents": {"type": "integer", "minimum": 1, "maximum": 10_000_000},
        "daily_cap_cents_per_sender": {"type": "integer", "minimum": 1, "maximum": 10_000_000},
        "fee_tiers": _tiers("Trust-deposit fees: the first tier whose up_to_cents covers the "
                            "amount applies; never above processor_cost for that amount."),
        "phone_fee_tiers": _tiers("Must be empty or free: no fee on phone accounts (FCC)."),
        "calling_fee_tiers": _tiers("Must be empty or free: no fee on calling balances."),
        "video_fee_tiers": _tiers("Must be empty or free: no fee on video accounts (FCC)."),
        "processor_cost": {"type": "object", "additionalProperties": False,
                           "required": ["percent", "fixed_cents"],
                           "properties": {"percent": {"type": "number", "minimum": 0,
                                                      "maximum": 20},
                                          "fixed_cents": {"type": "integer", "minimum": 0,
                                                          "maximum": 1000}}},
        "flag_sender_distinct_inmates_per_day": {"type": "integer", "minimum": 1, "maximum": 1000},
        "flag_inmate_distinct_senders_per_day": {"type": "integer", "minimum": 1, "maximum": 1000},
        "stamp_price_cents": {"type": "integer", "minimum": 1, "maximum": 10_000},
        "photo_price_stamps": {"type": "integer", "minimum": 0, "maximum": 100},
        "videogram_price_stamps": {"type": "integer", "minimum": 0, "maximum": 100},
        "auto_approve_clean_messages": {"type": "boolean"},
        "inmate_replies_free": {"type": "boolean"},
        "watch_words": {"type": "object", "additionalProperties": False,
                        "properties": {language: WORDS for language in LANGUAGES}},
        "rejection_reasons": {"type": "array", "maxItems": 50, "items": REASON},
        "calls_paid_by": {"type": "string", "enum": list(PAYERS)},
        "call_rate_cents_per_minute": {"type": "integer", "minimum": 0, "maximum": 10_000},
        "call_max_minutes": {"type": "integer", "minimum": 1, "maximum": 240},
        "call_hours": {"type": "object", "additionalProperties": False,
                       "required": ["opens", "closes"],
                       "properties": {"opens": CLOCK_TIME, "closes": CLOCK_TIME},
                       "description": "When inmates may call, in the facility's time zone "
                                      "(closes before opens: overnight); calls are refused "
                                      "outside and end at closing. Left out: any time."},
        "call_numbers_need_approval": {"type": "boolean",
                                       "description": "Staff approve each verified call number."},
        "visit_policy": visit_rules.VISIT_POLICY,
    },
}
_MONEY = MoneyRules()  # its defaults (a NamedTuple's class attributes are field getters)
DEFAULTS = {
    "deposit_min_cents": _MONEY.min_cents, "deposit_max_cents": _MONEY.max_cents,
    "daily_cap_cents_per_sender": _MONEY.daily_cap_cents,
    "phone_fee_tiers": [], "calling_fee_tiers": [], "video_fee_tiers": [],
    "flag_sender_distinct_inmates_per_day": _MONEY.flag_sender_inmates_per_day,
    "flag_inmate_distinct_senders_per_day": _MONEY.flag_inmate_senders_per_day,
    "photo_price_stamps": 1, "videogram_price_stamps": 2,
    "auto_approve_clean_messages": False, "inmate_replies_free": True, "visit_policy": {},
    "call_numbers_need_approval": False,
}
FEE_FREE_ACCOUNTS = {"phone_fee_tiers": "phone", "calling_fee_tiers": "calling",
                     "video_fee_tiers": "video"}


class RuleNotAllowed(Unprocessable):
    code = "rule_not_allowed"

    def __init__(self, found: list[dict]) -> None:
        super().__init__(_("This rule is not allowed: %(problem)s", problem=found[0]["problem"]),
                         rule=found[0]["field"], errors=found)


def complete(document: dict) -> dict:
    """The document with every default filled in (what is stored and shown); a null anywhere
    means "not given", as at the top level of every request body."""
    return {**DEFAULTS, **_without_nulls(document)}


def _without_nulls(value):
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def processor_cost_cents(amount_cents: int, fee_cents: int, cost: dict) -> int:
    """What the processor charges for a card payment of amount + fee, rounded up to the cent."""
    percent = Decimal(str(cost["percent"])) * (amount_cents + fee_cents) / 100
    return int(percent.to_integral_value(rounding=ROUND_CEILING)) + int(cost["fixed_cents"])


def forbidden(document: dict, kind: str | None, population: int | None, today: str) -> list[dict]:
    """Each rule the law or the contract forbids, as ``{field, problem}`` (empty: allowed)."""
    found = []
    for field, account in FEE_FREE_ACCOUNTS.items():
        for index, tier in enumerate(document.get(field, [])):
            if tier["fee_cents"] > 0:
                found.append({"field": f"{field}[{index}].fee_cents", "problem": _(
                    "no fee may be charged on %(account)s accounts.", account=account)})
    found += _fees_above_processor_cost(document)
    tier = caps.size_tier(kind, population) if kind and population is not None else "large_jail"
    video = visit_rules.visit_mode(document, "video")
    rates = [("call_rate_cents_per_minute", caps.cap(tier, "audio", today),
              document.get("call_rate_cents_per_minute")),
             # Every day a video visit can be booked for must allow the price.
             ("visit_policy.video.price_cents_per_minute",
              visit_rules.lowest_video_cap(tier, today, video.maximum_notice_days),
              video.price_cents_per_minute)]
    for field, legal, rate in rates:
        if isinstance(rate, int) and rate > legal.cents_per_minute:
            found.append({"field": field, "problem": _(
                "%(rate)s cents a minute is above the legal cap of %(cap)s cents for this "
                "facility's size (%(basis)s).", rate=rate, cap=legal.cents_per_minute,
                basis=legal.basis)})
    return found


def _fees_above_processor_cost(document: dict) -> list[dict]:
    found = []
    tiers = sorted(enumerate(document.get("fee_tiers", [])), key=lambda t: t[1]["up_to_cents"])
    lowest = document.get("deposit_min_cents", _MONEY.min_cents)
    cost = document.get("processor_cost") or {"percent": 0, "fixed_cents": 0}
    for index, tier in tiers:
        # The fee must cover no more than the processor's cost at the tier's smallest amount.
        allowed = processor_cost_cents(lowest, tier["fee_cents"], cost)
        if tier["fee_cents"] > allowed:
            found.append({"field": f"fee_tiers[{index}].fee_cents", "problem": _(
                "a trust-deposit fee of %(fee)s is above the processor's cost of %(cost)s for "
                "a deposit of %(amount)s.", fee=format_money(tier["fee_cents"]),
                cost=format_money(allowed), amount=format_money(lowest))})
        lowest = max(lowest, tier["up_to_cents"] + 1)
    return found


def _inconsistent(document: dict) -> list[dict]:
    """Shapes the schema cannot say: bounds in order, codes unique."""
    found = []
    if document["deposit_min_cents"] > document["deposit_max_cents"]:
        found.append({"field": "deposit_min_cents",
                      "problem": _("must not exceed deposit_max_cents")})
    found += visit_rules.problems(document)
    hours = document.get("call_hours")
    if hours and hours["opens"] == hours["closes"]:
        found.append({"field": "call_hours.closes", "problem": _(
            "must differ from opens (leave call_hours out to allow calls at any time)")})
    codes = [reason["code"] for reason in document["rejection_reasons"]]
    if not codes:
        found.append({"field": "rejection_reasons", "problem": _("must list at least one reason")})
    if len(set(codes)) != len(codes):
        found.append({"field": "rejection_reasons", "problem": _("codes must be unique")})
    for field in ("fee_tiers", *FEE_FREE_ACCOUNTS):
        bounds = [tier["up_to_cents"] for tier in document[field]]
        if len(set(bounds)) != len(bounds):
            found.append({"field": field,
                          "problem": _("up_to_cents must differ between tiers")})
    return found


def put_rules(facility_id: str, document: dict, by: str) -> dict:
    """Replace the facility's rules (rules, stamp price, version, listing) and every rules stamp
    in one transaction, on the version read; a change by someone else in between makes it read
    and replace again (the last one wins, as a PUT should)."""
    facility = _facility(facility_id)
    document = complete(document)
    found = _inconsistent(document)
    if found:
        raise InvalidRequest(listing(found), errors=found)
    for _attempt in range(PUT_ATTEMPTS):
        found = forbidden(document, facility.kind, _population(facility), clock.iso())
        if found:
            raise RuleNotAllowed(found)
        if _replaced(facility, document):
            log_event("facility_rules_put", facility_id=facility_id, by=by,
                      rules_version=int(facility.rules_version or 0) + 1)
            return document
        facility = _facility(facility_id)
    raise Conflict(_("Someone else changed this facility's rules at the same moment. Read them "
                     "again and repeat your change."), code="rules_changed")


def _facility(facility_id: str) -> store.Facility:
    facility = store.facility(facility_id, consistent=True)
    if facility is None:
        raise NotFound(_("No such facility."))
    return facility


def _replaced(facility: store.Facility, document: dict) -> bool:
    """Write ``document`` as the next version; False when the version read is no longer current."""
    read = int(facility.rules_version or 0)
    version = store.Facility.rules_version

    def replace(transaction: TransactWrite) -> None:
        transaction.update(facility,
                           actions=[store.Facility.rules.set(document),
                                    store.Facility.stamp_price_cents.set(document["stamp_price_cents"]),
                                    version.set(read + 1),
                                    store.Facility.directory.set(store.LISTED),
                                    store.Facility.directory_state.set(facility.state)],
                           condition=store.Facility.facility_id.exists() & (
                               (version == read) | version.does_not_exist() if read == 0
                               else version == read))
        for stripe in range(MONEY_STRIPES):
            transaction.save(store.RulesStamp(store.rules_stamp_key(facility.facility_id, stripe),
                                              rules_version=read + 1))

    return written(lambda: write_together(replace))


def _population(facility: store.Facility) -> int | None:
    value = facility.average_daily_population
    return None if value is None else int(value)
