"""Privacy: a family account's data export and its deletion, walking the data-rights registry
every capability fills (core.datarights); the top layer, so it may use every face below.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
Its names load on first use and its registrations before a registry is read
(``core.lazy``): importing the face costs a cold start nothing.
"""
from chalicelib.core import lazy

__all__ = ["SCHEMA_VERSION", "delete_account", "export", "kept_records", "request_export",
           "export_status"]

__getattr__ = lazy.face(__name__, {
    "exports": "export_status, request_export",
    "service": "SCHEMA_VERSION, delete_account, export, kept_records",
})
lazy.register_later("datarights", "chalicelib.privacy.exports")
lazy.register_later("datarights", "chalicelib.privacy.core_holding")
