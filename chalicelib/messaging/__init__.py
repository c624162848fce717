"""Contacts and eMessaging: requests to connect with an inmate, messages paid in stamps, staff
review, threads, and the inmate's kiosk side."""
