"""The demo facility of api.md's "Local demo": Demo County Jail with inmates A1001 and A1002
and one registered kiosk, created through the same services as the admin API (facility, rules,
roster import, kiosk registration); running it again changes nothing but the PINs and the kiosk.

Fees are the card processor's cost and no more (the contract's rule): with 2.9% + 30¢, a flat
fee per tier at the tier's smallest amount.  Phone, calling and video accounts carry no fee
(FCC 24-75).  The call rate sits under FCC 25-75's cap for a medium jail.  The abuse signals
follow the UK MoJ "Prisoner Money" security checks, scaled to a day."""
from __future__ import annotations

import re

from chalicelib.config import ConfigurationError
from chalicelib.core.errors import Conflict
from chalicelib.facilities import admin, kiosks, platform_keys, roster, rulebook, signin, store
from chalicelib.facilities.store import Facility
from chalicelib.facilities.visit_rules import WEEKDAYS

DEMO_FACILITY_ID = "demo-county"
# Defaults of ``DEMO_INMATE_PIN`` (every demo inmate's kiosk PIN) and ``DEMO_KIOSK_KEY`` (the
# demo kiosk's key, ``<kiosk_id>.<secret>``), printed by the local launcher.  PINs are not
# passwords: the password strength rules do not apply; the kiosk key and lockouts protect them.
DEMO_INMATE_PIN = "482613"
DEMO_KIOSK_KEY = "kio_demo.demo-kiosk-key-change-me-7Qm2xV9pL4tR8wZ1"
# ``DEMO_PLATFORM_KEY``: the demo call platform's key (``X-Platform-Key``), printed likewise.
DEMO_PLATFORM_KEY = "plk_demo.demo-platform-key-change-me-4Tq8wZ2mR6vL"

DEMO_FACILITY = {"facility_id": DEMO_FACILITY_ID, "name": "Demo County Jail", "state": "MD",
                 "timezone": "America/New_York", "kind": "jail", "average_daily_population": 420}
DEMO_RULES = {
    "deposit_min_cents": 100,
    "deposit_max_cents": 30000,
    "daily_cap_cents_per_sender": 100000,
    # Fee by amount: the first tier whose ``up_to_cents`` covers the amount applies.
    "fee_tiers": [
        {"up_to_cents": 2000, "fee_cents": 30},
        {"up_to_cents": 10000, "fee_cents": 90},
        {"up_to_cents": 20000, "fee_cents": 325},
        {"up_to_cents": 30000, "fee_cents": 620},
    ],
    "phone_fee_tiers": [],
    "processor_cost": {"percent": 2.9, "fixed_cents": 30},
    "flag_sender_distinct_inmates_per_day": 3,
    "flag_inmate_distinct_senders_per_day": 5,
    "stamp_price_cents": 39,
    "photo_price_stamps": 1,
    "videogram_price_stamps": 2,
    "auto_approve_clean_messages": False,
    # Checked in every listed language, case and accents aside (facilities.review_rules).
    "watch_words": {"en": ["escape", "contraband", "drugs", "weapon", "weapons"],
                    "es": ["fuga", "escapar", "contrabando", "droga", "drogas", "arma", "armas"]},
    # Staff send the code; the family reads the words in their language.
    "rejection_reasons": [
        {"code": "safety", "en": "Threatens safety or security",
         "es": "Amenaza la seguridad o el orden"},
        {"code": "contraband", "en": "Discusses contraband", "es": "Habla de contrabando"},
        {"code": "coded_content", "en": "Coded or unreadable content",
         "es": "Contenido en clave o ilegible"},
        {"code": "harassment", "en": "Harassment", "es": "Acoso"},
        {"code": "other", "en": "Other", "es": "Otro motivo"},
    ],
    # Inmates reply without a stamp; when false a reply spends one of the family's stamps.
    "inmate_replies_free": True,
    "calls_paid_by": "family",
    "call_rate_cents_per_minute": 10,
    "call_max_minutes": 15,
    # Visits every day (api.md "Local demo"): on-site tables need staff approval; video
    # stations are booked at once, 15 cents a minute (under the medium-jail cap).
    "visit_policy": {
        "onsite": {"templates": [{"weekday": day, "start": "09:00", "end": "17:00",
                                  "slot_minutes": 60, "capacity": 6} for day in WEEKDAYS],
                   "minimum_notice_hours": 48, "maximum_notice_days": 28,
                   "visitors_per_visit": 3, "weekly_allowance": 2, "staff_approval": True},
        "video": {"templates": [{"weekday": day, "start": "08:00", "end": "20:00",
                                 "slot_minutes": 30, "capacity": 4} for day in WEEKDAYS],
                  "minimum_notice_hours": 24, "maximum_notice_days": 14,
                  "visitors_per_visit": 4, "weekly_allowance": 3, "staff_approval": False,
                  "price_cents_per_minute": 15}},
}

DEMO_INMATES = [
    ("inm_A1001", "A1001", "Marcus", "Johnson", "B-12"),
    ("inm_A1002", "A1002", "Elena", "Ruiz", "C-3"),
]


def search_key(full_name: str) -> str:
    first, _, last = full_name.rpartition(" ")
    return f"{last} {first}".strip().lower()


def seed_demo_facility(pin: str = DEMO_INMATE_PIN, kiosk_key: str = DEMO_KIOSK_KEY,
                       platform_key: str = DEMO_PLATFORM_KEY) -> Facility:
    if not re.fullmatch(kiosks.PIN_PATTERN, pin):
        raise ConfigurationError("DEMO_INMATE_PIN must hold 6 to 12 digits")
    if not kiosk_key.startswith(kiosks.KIOSK_ID_PREFIX) or "." not in kiosk_key:
        raise ConfigurationError(f"DEMO_KIOSK_KEY must look like {kiosks.KIOSK_ID_PREFIX}<id>.<secret>")
    try:
        admin.create(DEMO_FACILITY, by="seed")
    except Conflict:
        pass  # seeded before (a persistent emulator): the services below bring it up to date
    rulebook.put_rules(DEMO_FACILITY_ID, DEMO_RULES, by="seed")
    rows = [{"inmate_number": number, "first_name": first, "last_name": last,
             "status": roster.IN_CUSTODY, "housing_unit": unit}
            for _, number, first, last, unit in DEMO_INMATES]
    roster.import_roster(DEMO_FACILITY_ID, rows, confirm_releases=None, by="seed",
                         ids={number: inmate_id for inmate_id, number, *_ in DEMO_INMATES})
    for inmate_id, *_ in DEMO_INMATES:
        signin.set_pin(inmate_id, pin)
    kiosks.register(DEMO_FACILITY_ID, "Demo kiosk", by="seed", key=kiosk_key)
    if not platform_key.startswith(platform_keys.KEY_ID_PREFIX) or "." not in platform_key:
        raise ConfigurationError("DEMO_PLATFORM_KEY must look like "
                                 f"{platform_keys.KEY_ID_PREFIX}<id>.<secret>")
    platform_keys.issue(DEMO_FACILITY_ID, "Demo call platform", by="seed", key=platform_key)
    return store.facility(DEMO_FACILITY_ID, consistent=True)
