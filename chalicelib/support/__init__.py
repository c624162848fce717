"""Support: tickets about a family's deposits, messages, visits, calls or account, answered by
the staff of the facility concerned or by admins, with a respond-by target in business days.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
Its names load on first use and its registrations before a registry is read
(``core.lazy``): importing the face costs a cold start nothing.
"""
from chalicelib.core import lazy

__all__ = ["seed_demo_ticket"]

__getattr__ = lazy.face(__name__, {
    "seed": "seed_demo_ticket",
})
lazy.register_later("datarights", "chalicelib.support.datarights")
