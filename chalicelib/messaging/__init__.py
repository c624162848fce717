"""eMessaging: messages paid in stamps between approved contacts, staff review, threads, and
the inmate's inbox and replies on the kiosk.

This module is the capability's face: the names in ``__all__`` are what other packages may use
(app.py schedules the daily digest of decisions).
"""
from chalicelib.messaging import datarights as _datarights  # noqa: F401 (registers its Holding)
from chalicelib.messaging.digests import send_due_digests
from chalicelib.messaging.store import message as message_by_id

__all__ = ["message_by_id", "send_due_digests"]
