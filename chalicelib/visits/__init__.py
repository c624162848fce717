"""Visits: on-site and video visit booking (docs/api.md "Visits"): slots from the facility's
weekly templates, 10-minute holds on one item per place, bookings paid by card for video,
staff decisions, remedies and refunds, reminders, and video sessions on Amazon Chime SDK.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
Its names load on first use and its registrations before a registry is read
(``core.lazy``): importing the face costs a cold start nothing.
"""
from chalicelib.core import lazy

__all__ = ["run_visit_jobs", "record_meeting_event", "on_inmate_released", "visit_by_id"]

__getattr__ = lazy.face(__name__, {
    "lifecycle": "run_jobs as run_visit_jobs, on_inmate_released",
    "sessions": "meeting_event as record_meeting_event",
    "store": "visit_by_id",
})
lazy.register_later("datarights", "chalicelib.visits.datarights")
lazy.register_later("release", "chalicelib.visits.registrations")
lazy.register_later("statement", "chalicelib.visits.registrations")
