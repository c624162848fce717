"""Privacy: a family account's data export and its deletion, walking the data-rights registry
every capability fills (core.datarights); the top layer, so it may use every face below.

This module is the capability's face: the names in ``__all__`` are what other packages may use.
"""
from chalicelib.privacy.exports import export_status, request_export
from chalicelib.privacy.service import SCHEMA_VERSION, delete_account, export, kept_records

__all__ = ["SCHEMA_VERSION", "delete_account", "export", "kept_records", "request_export",
           "export_status"]
