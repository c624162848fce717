"""eMessaging: messages paid in stamps between approved contacts, staff review, threads, and
the inmate's inbox and replies on the kiosk.

This module is the capability's face; nothing outside messaging uses it yet.
"""
from chalicelib.messaging import datarights as _datarights  # noqa: F401 (registers its Holding)

__all__: list[str] = []
