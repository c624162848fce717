"""The demo facility of the README's demo: Demo County Jail with inmates A1001 and A1002
and one registered kiosk.

Fee tiers follow what county jails publish (Baltimore County's TouchPay schedule: $2.95 up to
$20, $4.95 up to $100; and a top tier in line with Florida's $11.95 at $300).  Phone-account
deposits carry no fee (FCC 24-75 bans separate ancillary fees on phone accounts).  The abuse
signals follow the UK MoJ "Prisoner Money" security checks (a payment source paying several
prisoners; many senders paying one prisoner), scaled to a day."""
from __future__ import annotations

import re

from chalicelib.accounts import hash_password
from chalicelib.config import ConfigurationError
from chalicelib.facilities import kiosks
from chalicelib.facilities.store import Facility, Inmate

DEMO_FACILITY_ID = "demo-county"
# Defaults of ``DEMO_INMATE_PIN`` (every demo inmate's kiosk PIN) and ``DEMO_KIOSK_KEY`` (the
# demo kiosk's key, ``<kiosk_id>.<secret>``), printed by the local launcher.  PINs are not
# passwords: the password strength rules do not apply; the kiosk key and lockouts protect them.
DEMO_INMATE_PIN = "482613"
DEMO_KIOSK_KEY = "kio_demo.demo-kiosk-key-change-me-7Qm2xV9pL4tR8wZ1"

DEMO_RULES = {
    "deposit_min_cents": 100,
    "deposit_max_cents": 30000,
    "daily_cap_cents_per_sender": 100000,
    # Fee by amount: the first tier whose ``up_to_cents`` covers the amount applies.
    "fee_tiers": [
        {"up_to_cents": 2000, "fee_cents": 295},
        {"up_to_cents": 10000, "fee_cents": 495},
        {"up_to_cents": 20000, "fee_cents": 795},
        {"up_to_cents": 30000, "fee_cents": 995},
    ],
    "phone_fee_tiers": [],
    "flag_sender_distinct_inmates_per_day": 3,
    "flag_inmate_distinct_senders_per_day": 5,
    "auto_approve_clean_messages": False,
    "watch_words": ["escape", "contraband", "drugs", "weapon"],
    "rejection_reasons": ["Threatens safety or security", "Discusses contraband",
                          "Coded or unreadable content", "Harassment", "Other"],
    # Inmates reply without a stamp; when false a reply spends one of the family's stamps.
    "inmate_replies_free": True,
}

DEMO_INMATES = [
    ("inm_A1001", "A1001", "Marcus Johnson"),
    ("inm_A1002", "A1002", "Elena Ruiz"),
]


def search_key(full_name: str) -> str:
    first, _, last = full_name.rpartition(" ")
    return f"{last} {first}".strip().lower()


def seed_demo_facility(pin: str = DEMO_INMATE_PIN, kiosk_key: str = DEMO_KIOSK_KEY) -> Facility:
    if not re.fullmatch(kiosks.PIN_PATTERN, pin):
        raise ConfigurationError("DEMO_INMATE_PIN must hold 6 to 12 digits")
    if not kiosk_key.startswith(kiosks.KIOSK_ID_PREFIX) or "." not in kiosk_key:
        raise ConfigurationError(f"DEMO_KIOSK_KEY must look like {kiosks.KIOSK_ID_PREFIX}<id>.<secret>")
    facility = Facility(DEMO_FACILITY_ID, name="Demo County Jail", state="MD",
                        stamp_price_cents=39, rules=DEMO_RULES)
    facility.save()
    for inmate_id, number, name in DEMO_INMATES:
        Inmate(inmate_id, facility_id=DEMO_FACILITY_ID, inmate_number=number, full_name=name,
               search_key=search_key(name), facility_rules=DEMO_RULES,
               pin_hash=hash_password(pin)).save()
    kiosks.register(DEMO_FACILITY_ID, "Demo kiosk", by="seed", key=kiosk_key)
    return facility
