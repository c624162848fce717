"""What the family hears about its visits: booked, approved or declined, 24 h and 1 h before,
any cancellation (with the reason and the refund), by email and, to a verified phone, by SMS.
Sent through the outbox after the change committed; a failure to queue never fails the change.
Reasons are words in the family's language: the facility's reasons as it wrote them, the
system's from the catalog.
"""
from __future__ import annotations

import logging

from chalicelib import facilities
from chalicelib.accounts import account_by_id
from chalicelib.core import dependencies, i18n
from chalicelib.core.i18n import N_, _
from chalicelib.core.links import app_link
from chalicelib.core.logs import log_event
from chalicelib.core.notify import notifier, recipient_language
from chalicelib.visits import states
from chalicelib.visits.store import Visit

SYSTEM_REASONS = {
    states.FAMILY_CANCELLED: N_("Cancelled by you"),
    states.NOT_DECIDED_IN_TIME: N_("The facility did not decide in time"),
    states.INMATE_RELEASED: N_("The person was released or transferred"),
    states.ACCOUNT_CLOSED: N_("You closed your Kinlink account"),
    "staff": N_("Ended early by the facility"),
    "system": N_("Ended early by a technical problem"),
}


def reason_words(visit: Visit) -> str | None:
    """The reason in the current language, or None."""
    if visit.reason is None:
        return None
    if visit.reason_texts is not None:
        texts = visit.reason_texts.as_dict() if hasattr(visit.reason_texts, "as_dict") \
            else dict(visit.reason_texts)
        return texts.get(i18n.current()) or texts.get("en") or visit.reason
    known = SYSTEM_REASONS.get(visit.reason)
    return _(known) if known else visit.reason


def recipient_of(account, timezone: str | None) -> dict | None:
    """What sending needs of an account (address, language, verified phone) and the zone
    times are given in, carried by a hold so the booking's notice reads nothing."""
    if account is None:
        return None
    return {"email": account.email, "full_name": account.full_name,
            "language": account.language,
            "phone": account.phone if account.phone and account.phone_verified else None,
            "timezone": timezone}


def booked(visit: Visit, recipient=None) -> None:
    given = recipient.as_dict() if hasattr(recipient, "as_dict") else recipient
    _send(visit, "visit_booked", None, given, amount_cents=int(visit.price_cents or 0))


def changed(visit: Visit, refund_cents: int) -> None:
    if visit.status in (states.IN_PROGRESS, states.NO_SHOW):
        return  # the family was there (or chose not to be): nothing to tell
    if visit.status == states.COMPLETED and not refund_cents:
        return
    _send(visit, "visit_changed", "visit_changed", None, amount_cents=refund_cents)


def reminder(visit: Visit, seconds_before: int) -> None:
    _send(visit, "visit_reminder", "visit_reminder", None, hours=seconds_before // 3600)


def _send(visit: Visit, email: str, sms: str | None, recipient: dict | None, **values) -> None:
    if recipient is None:
        try:
            recipient = recipient_of(account_by_id(visit.account_id),
                                     facilities.time_zone_of(visit.facility_id))
        except Exception as error:  # after the commit: never fail the change for a notice
            if not dependencies.is_transient(error):
                raise
            log_event("visit_notice_skipped", logging.ERROR, visit_id=visit.visit_id,
                      **dependencies.describe(error))
            return
    if recipient is None:
        return
    language = recipient_language(recipient.get("language"), requester=False)
    with i18n.using(language):
        reason = reason_words(visit) or ""
    context = {"full_name": recipient["full_name"], "inmate_name": visit.inmate_name,
               "mode": visit.mode, "status": visit.status, "starts_at": visit.starts_at,
               "timezone": recipient.get("timezone"), "reason": reason,
               "link": app_link("visits", visit.visit_id), **values}
    notifier().email(recipient["email"], email, language=language, requester=False, **context)
    if sms is not None and recipient.get("phone"):
        notifier().sms(recipient["phone"], sms, language=language, requester=False,
                       inmate_name=visit.inmate_name, hours=values.get("hours", 0))
