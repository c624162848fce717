"""Emails to the family about their messages (issue 5 §6).

The family hears when a message to the inmate is delivered or rejected (with the staff's
reason) and when an approved reply arrives.  ``Account.preferences["notify_messages"]``
(default on) turns these off.  Emails carry no message text (it was written for a monitored
channel, not for a mailbox); the link opens the thread in the family app
(``<PUBLIC_APP_URL>#/contacts/<contact id>/messages``: the id rides in the fragment).  With
``preferences["message_digest"]`` the decisions wait for one email a day (``digests``).
"""
from __future__ import annotations

import logging

from chalicelib import facilities
from chalicelib.accounts import account_by_id
from chalicelib.core import dependencies
from chalicelib.core.links import app_link
from chalicelib.core.logs import log_event
from chalicelib.core.notify import notifier, recipient_language
from chalicelib.messaging import digests, states
from chalicelib.messaging.store import Message

NOTIFY_PREFERENCE = "notify_messages"


def wants_message_emails(preferences) -> bool:
    values = preferences.as_dict() if hasattr(preferences, "as_dict") else dict(preferences or {})
    return values.get(NOTIFY_PREFERENCE, True) is not False


def message_decided(message: Message) -> None:
    """Tell the family what became of ``message`` (nothing for a rejected inmate reply)."""
    if message.direction == states.TO_INMATE:
        template = "message_rejected" if message.status == states.REJECTED else "message_delivered"
    elif message.status == states.DELIVERED:
        template = "reply_received"
    else:
        return
    try:
        account = account_by_id(message.account_id)
        timezone = facilities.time_zone_of(message.facility_id) if account else None
    except Exception as error:
        # Called after the message's transaction committed: like sending itself, telling the
        # family never fails the request (a 503 would invite a duplicate send).
        if not dependencies.is_transient(error):
            raise
        log_event("message_email_skipped", logging.ERROR, message_id=message.message_id,
                  **dependencies.describe(error))
        return
    if account is None or not wants_message_emails(account.preferences):
        return
    if digests.wants_digest(account.preferences):
        digests.defer(message)  # one email a day for all of them (digests.py)
        return
    # The family reads it in their language, whoever decided (staff, an inmate's reply).
    language = recipient_language(account.language, requester=False)
    notifier().email(account.email, template, language=language, requester=False,
                     full_name=account.full_name, inmate_name=message.inmate_name,
                     sent_at=message.sent_at, timezone=timezone,
                     reason=message.reason_in(language) or "",
                     link=thread_link(message.contact_id))


def thread_link(contact_id: str) -> str:
    """The family app's page of one thread (the API's ``GET /v1/contacts/{id}/messages``)."""
    return app_link("contacts", contact_id, "messages")
