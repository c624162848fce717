"""Facilities and the people held there: each facility's rules (deposit limits, fee schedule,
stamp price, message review rules, call rates), its roster of inmates, its kiosks and the
inmates' kiosk sign-in, and its call platforms' keys.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
"""
from chalicelib.facilities import datarights as _datarights  # noqa: F401 (registers its Holding)
from chalicelib.facilities.caps import audio_cap
from chalicelib.facilities.review_rules import (all_watch_words, fold, reason_code, reason_texts,
                                                rejection_reason, rejection_reasons, watch_words)
from chalicelib.facilities.platform_keys import platform_by_key
from chalicelib.facilities.roster import held, on_release
from chalicelib.facilities.rules import MoneyRules
from chalicelib.facilities.service import (facility_in_charge, money_rules_of, check_rules_unchanged,
                                           rules_changed, time_zone_of)
from chalicelib.facilities.signin import INMATE_ROLE
from chalicelib.facilities.store import (Facility, Inmate, PlatformKey, facility, inmate,
                                         inmate_by_number)
from chalicelib.facilities.visit_rules import VISIT_MODES, VisitMode, facility_video_cap, visit_mode

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
