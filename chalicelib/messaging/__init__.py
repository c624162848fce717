"""eMessaging: messages paid in stamps between approved contacts, staff review, threads, and
the inmate's inbox and replies on the kiosk.

This module is the capability's face; nothing outside messaging uses it yet.
"""

__all__: list[str] = []
