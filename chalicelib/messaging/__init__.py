"""eMessaging: messages paid in stamps between approved contacts, staff review, threads, and
the inmate's inbox and replies on the kiosk.

This module is the capability's face: app.py schedules the daily digest of decisions.
"""
from chalicelib.messaging.digests import send_due_digests

__all__: list[str] = ["send_due_digests"]
