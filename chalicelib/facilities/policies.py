"""A facility's policies as the public reads them (docs/api.md "Operating a facility"): fees, limits,
per-minute rates with the legal cap beside each, rejection reasons in plain words and visit
rules, labelled in the caller's language.  No sign-in: hidden fee schedules are what the CFPB
fined an incumbent for.  Staff read the same rejection reasons before deciding.
"""
from __future__ import annotations

from chalicelib.core import clock, i18n
from chalicelib.core.errors import NotFound
from chalicelib.core.i18n import _
from chalicelib.facilities import caps, store, visit_rules
from chalicelib.facilities.rulebook import DEFAULTS, FEE_FREE_ACCOUNTS
from chalicelib.facilities.review_rules import rejection_reasons
from chalicelib.facilities.rules import MoneyRules


def _open_facility(facility_id: str) -> store.Facility:
    """A facility whose rules have been put (before that it publishes nothing)."""
    facility = store.facility(facility_id)
    if facility is None or facility.directory != store.LISTED:
        raise NotFound(_("No such facility."))
    return facility


def _rules(facility: store.Facility) -> dict:
    return {**DEFAULTS, **facility.rules.as_dict()}


def _in_language(reason: dict) -> dict:
    return {**reason, "text": reason.get(i18n.current()) or reason["en"]}


def reasons_for_staff(facility_id: str) -> dict:
    facility = store.facility(facility_id)
    if facility is None:
        raise NotFound(_("No such facility."))
    return {"items": [_in_language(r) for r in rejection_reasons(_rules(facility))]}


def published(facility_id: str) -> dict:
    facility = _open_facility(facility_id)
    rules = _rules(facility)
    money = MoneyRules.from_map(rules)
    population = facility.average_daily_population
    tier = (caps.size_tier(facility.kind, int(population))
            if facility.kind and population is not None else "large_jail")
    return {
        "facility_id": facility.facility_id, "name": facility.name, "state": facility.state,
        "timezone": facility.timezone, "size_tier": tier, "language": i18n.current(),
        "fees": _fees(money),
        "limits": [
            {"code": "deposit_min_cents", "label": _("Smallest deposit"),
             "cents": money.min_cents},
            {"code": "deposit_max_cents", "label": _("Largest deposit"), "cents": money.max_cents},
            {"code": "daily_cap_cents_per_sender", "label": _("Deposits per sender per day"),
             "cents": money.daily_cap_cents}],
        "rates": _rates(rules, tier),
        "stamps": {"label": _("Message stamps"),
                   "stamp_price_cents": int(facility.stamp_price_cents or 0),
                   "photo_price_stamps": int(rules["photo_price_stamps"]),
                   "videogram_price_stamps": int(rules["videogram_price_stamps"]),
                   "text": _("One stamp sends one message; a photo costs %(photo)s more and a "
                             "VideoGram %(video)s more. A rejected message gives its stamps "
                             "back.", photo=int(rules["photo_price_stamps"]),
                             video=int(rules["videogram_price_stamps"]))},
        "rejection_reasons": [{"code": r["code"], "text": _in_language(r)["text"]}
                              for r in rejection_reasons(rules)],
        "visit_rules": {"label": _("Visit rules"),
                        "text": _("Cancel up to one hour before a visit for a full refund. A "
                                  "visit the facility cancels or declines is refunded in full, "
                                  "and so are the minutes of a video visit that did not "
                                  "connect."),
                        "policy": {mode: visit_rules.published(rules, mode)
                                   for mode in visit_rules.MODES}},
    }


def _fees(money: MoneyRules) -> list[dict]:
    fees = [{"account": "trust", "up_to_cents": tier.up_to_cents, "fee_cents": tier.fee_cents,
             "label": _("Trust account deposit up to %(amount)s",
                        amount=i18n.format_money(tier.up_to_cents))}
            for tier in money.trust_fee_tiers]
    if not fees:
        fees.append({"account": "trust", "up_to_cents": None, "fee_cents": 0,
                     "label": _("Trust account deposit: no fee")})
    labels = {"phone": _("Phone account deposit: no fee, by law"),
              "calling": _("Calling balance deposit: no fee, by law"),
              "video": _("Video visit account: no fee, by law")}
    return fees + [{"account": account, "up_to_cents": None, "fee_cents": 0,
                    "label": labels[account]} for account in FEE_FREE_ACCOUNTS.values()]


def _rates(rules: dict, tier: str) -> list[dict]:
    today = clock.iso()
    paid_by = rules.get("calls_paid_by", "family")
    audio, video = caps.cap(tier, "audio", today), caps.cap(tier, "video", today)
    video_rate = ((rules.get("visit_policy") or {}).get("video") or {}).get(
        "price_cents_per_minute")
    payer = {"family": _("Paid by the family's calling balance."),
             "inmate": _("Paid from the inmate's phone account."),
             "agency": _("Free to families: the facility pays.")}[paid_by]
    rates = [{"code": "audio_call", "label": _("Phone call, per minute"),
              "cents_per_minute": 0 if paid_by == "agency"
              else int(rules.get("call_rate_cents_per_minute", 0)),
              "legal_cap_cents_per_minute": audio.cents_per_minute, "legal_basis": audio.basis,
              "paid_by": paid_by, "text": payer,
              "max_minutes": rules.get("call_max_minutes"),
              "call_hours": rules.get("call_hours")}]
    if video_rate is not None:
        rates.append({"code": "video_visit", "label": _("Video visit, per minute"),
                      "cents_per_minute": int(video_rate),
                      "legal_cap_cents_per_minute": video.cents_per_minute,
                      "legal_basis": video.basis})
    return rates
