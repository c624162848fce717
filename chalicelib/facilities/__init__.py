"""Facilities and the people held there: each facility's rules (deposit limits, fee schedule,
stamp price, message review rules, call rates), its roster of inmates, its kiosks and the
inmates' kiosk sign-in, and its call platforms' keys.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
Its names load on first use and its registrations before a registry is read
(``core.lazy``): importing the face costs a cold start nothing.
"""
from chalicelib.core import lazy

__all__ = ["Facility", "Inmate", "facility", "inmate", "facility_in_charge",
           "MoneyRules", "money_rules_of", "check_rules_unchanged", "rules_changed",
           "held", "on_release", "INMATE_ROLE",
           "watch_words", "all_watch_words", "fold", "rejection_reasons", "reason_code",
           "rejection_reason", "reason_texts", "time_zone_of",
           # call platforms authenticate with their key (X-Platform-Key)
           "PlatformKey", "platform_by_key",
           # the visit policy of the rules (visits reads it)
           "VISIT_MODES", "VisitMode", "visit_mode", "facility_video_cap",
           # calls: who is dialling, and the legal cap on the rate
           "inmate_by_number", "audio_cap"]

__getattr__ = lazy.face(__name__, {
    "caps": "audio_cap",
    "review_rules": "all_watch_words, fold, reason_code, reason_texts, rejection_reason, "
                    "rejection_reasons, watch_words",
    "platform_keys": "platform_by_key",
    "roster": "held, on_release",
    "rules": "MoneyRules",
    "service": "facility_in_charge, money_rules_of, check_rules_unchanged, rules_changed, "
               "time_zone_of",
    "roles": "INMATE_ROLE",
    "store": "Facility, Inmate, PlatformKey, facility, inmate, inmate_by_number",
    "visit_rules": "VISIT_MODES, VisitMode, facility_video_cap, visit_mode",
})
lazy.register_later("datarights", "chalicelib.facilities.datarights")
lazy.register_later("sessions", "chalicelib.facilities.signin")
