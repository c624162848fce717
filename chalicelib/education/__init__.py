"""Education: each facility's course catalog kept by its staff; inmates enrol, complete lessons
and earn a certificate record on the kiosk, and may share their progress with an approved
contact.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
Its names load on first use and its registrations before a registry is read
(``core.lazy``): importing the face costs a cold start nothing.
"""
from chalicelib.core import lazy

__all__ = ["seed_demo_course"]

__getattr__ = lazy.face(__name__, {
    "seed": "seed_demo_course",
})
lazy.register_later("datarights", "chalicelib.education.datarights")
