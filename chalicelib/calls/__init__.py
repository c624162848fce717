"""Calls: the facility call platform's API (authorise, end), rating at the legal cap, the
family's call records, releasing holds of calls never ended, refunds on release.  The media of a
call stays with the platform; who may call, who pays and how much are decided here.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
Its names load on first use and its registrations before a registry is read
(``core.lazy``): importing the face costs a cold start nothing.
"""
from chalicelib.core import lazy

__all__ = ["authorize", "end", "calls_of", "release_lapsed", "refund_on_release",
           "email_monthly_statements", "call_by_id",
           # a service above calls adds its part of the monthly statement (visits)
           "add_statement_section"]

__getattr__ = lazy.face(__name__, {
    "service": "authorize, calls_of, end, refund_on_release, release_lapsed",
    "statements": "add_section as add_statement_section, "
                  "email_last_month as email_monthly_statements",
    "store": "call_by_id",
})
lazy.register_later("datarights", "chalicelib.calls.datarights")
lazy.register_later("release", "chalicelib.calls.registrations")
