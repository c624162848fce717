"""Support: tickets about a family's deposits, messages, visits, calls or account, answered by
the staff of the facility concerned or by admins, with a respond-by target in business days.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
It registers the capability's data-rights holding (``core.datarights``).
"""
from chalicelib.support import datarights as _datarights  # noqa: F401 (registers its Holding)
from chalicelib.support.seed import seed_demo_ticket


__all__ = ["seed_demo_ticket"]
