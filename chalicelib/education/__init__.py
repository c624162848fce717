"""Education: each facility's course catalog kept by its staff; inmates enrol, complete lessons
and earn a certificate record on the kiosk, and may share their progress with an approved
contact.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
It registers the capability's data-rights holding (``core.datarights``).
"""
from chalicelib.education import datarights as _datarights  # noqa: F401 (registers its Holding)
from chalicelib.education.seed import seed_demo_course


__all__ = ["seed_demo_course"]
