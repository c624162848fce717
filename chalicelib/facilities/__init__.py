"""Facilities and the people held there: each facility's rules (deposit limits, fee schedule,
stamp price, message review rules), its inmates, its kiosks and the inmates' kiosk sign-in, and
its call platforms' keys.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
"""
from chalicelib.facilities.platform_keys import platform_by_key
from chalicelib.facilities.rules import MoneyRules, dollars
from chalicelib.facilities.service import facility_in_charge, money_rules_of
from chalicelib.facilities.signin import INMATE_ROLE
from chalicelib.facilities.store import Facility, Inmate, PlatformKey, facility, inmate

__all__ = ["Facility", "Inmate", "facility", "inmate", "facility_in_charge",
           "MoneyRules", "dollars", "money_rules_of", "INMATE_ROLE",
           # call platforms authenticate with their key (X-Platform-Key)
           "PlatformKey", "platform_by_key"]
