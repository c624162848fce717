"""eMessaging: messages paid in stamps between approved contacts, staff review, threads, and
the inmate's inbox and replies on the kiosk.

This module is the capability's face: the names in ``__all__`` are what other packages may use
(app.py schedules the daily digest of decisions).
Its names load on first use and its registrations before a registry is read
(``core.lazy``): importing the face costs a cold start nothing.
"""
from chalicelib.core import lazy

__all__ = ["message_by_id", "send_due_digests"]

__getattr__ = lazy.face(__name__, {
    "digests": "send_due_digests",
    "store": "message as message_by_id",
})
lazy.register_later("datarights", "chalicelib.messaging.datarights")
