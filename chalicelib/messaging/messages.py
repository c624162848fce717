"""Messages: sending (paid in stamps), staff review, threads, and reading on the kiosk.
Decisions (length, one stamp per message in one transaction, idempotency, review, replies,
read): ``docs/decisions/messages.md``."""
from __future__ import annotations

from chalicelib import media
from chalicelib.accounts import new_activity_event
from chalicelib.contacts import (CONTACT_APPROVED, AlreadyDecided, Contact, ContactNotApproved,
                                 contact_by_id, contact_not_found, family_contact)
from chalicelib.core import audit, clock, i18n, secrets
from chalicelib.core.errors import (InvalidRequest, NotFound, PaymentRequired,
                                    ServiceUnavailable)
from chalicelib.core.idempotency import Attempt, StoredResponse
from chalicelib.core.identity import Client, Principal
from chalicelib.core.i18n import N_, _
from chalicelib.messaging import notifications, parts, states, store
from chalicelib.messaging.review import ReviewRules
from chalicelib.messaging.store import Message

# Each retry follows a change to the same stamp balance by another request; three in a row
# mean heavy contention on one account, and the client may simply try again.
SEND_ATTEMPTS = 3


class InsufficientStamps(PaymentRequired):
    code = "insufficient_stamps"
    title = N_("Not enough stamps")


def message_not_found() -> NotFound:
    return NotFound(_("No such message."), code="message_not_found")


# --- sending -------------------------------------------------------------------------------

def send_to_inmate(principal: Principal, contact_id: str, body: str,
                   idempotency_key: str | None, client: Client,
                   attachment_ids: list[str] | None = None) -> StoredResponse:
    contact = family_contact(principal.account_id, contact_id)
    return _send(principal, contact, states.TO_INMATE, body, idempotency_key, client,
                 list(attachment_ids or []))


def reply_to_family(principal: Principal, contact_id: str, body: str,
                    idempotency_key: str | None, client: Client) -> StoredResponse:
    contact = contact_by_id(contact_id)
    if contact is None or contact.inmate_id != principal.account_id:
        raise contact_not_found()
    return _send(principal, contact, states.TO_FAMILY, body, idempotency_key, client)


def _send(principal: Principal, contact: Contact, direction: str, body: str,
          idempotency_key: str | None, client: Client,
          attachment_ids: list[str] = ()) -> StoredResponse:
    if not body.strip() and not attachment_ids:
        raise InvalidRequest(_("body must not be blank."),
                             errors=[{"field": "body", "problem": _("must not be blank")}])
    if contact.status != CONTACT_APPROVED:
        raise ContactNotApproved(_("Messages can be sent only once the facility has approved "
                                   "this contact."))
    request = {"contact_id": contact.contact_id, "body": body}
    if attachment_ids:
        request["attachment_ids"] = attachment_ids
        body = body if body.strip() else ""
    attempt = Attempt(principal.account_id, idempotency_key, f"send {direction}", request) \
        if idempotency_key else None
    message = _new_message(contact, direction, body)
    for _attempt in range(SEND_ATTEMPTS):
        snapshot = store.send_snapshot(contact.facility_id, contact.account_id, attempt)
        if snapshot.earlier is not None:
            return snapshot.earlier
        # Every attachment is checked (and processed if it just arrived) before any charge.
        items = media.for_send(contact.account_id, contact.contact_id, attachment_ids) \
            if attachment_ids else []
        message.parts = parts.new_parts(body, items, _rules_of(snapshot.facility)) \
            if items else None
        price = parts.cost(message.parts) if items else 1
        rules = ReviewRules.from_facility_rules(_rules_of(snapshot.facility))
        pays = direction == states.TO_INMATE or not rules.inmate_replies_free
        if pays and snapshot.balance < price:
            detail = _("You have no stamps left for this facility. Buy stamps to send this "
                       "message.") if snapshot.balance < 1 else _(
                "You have %(stamps)s stamps left for this facility; this message needs "
                "%(price)s. Buy stamps to send it.", stamps=snapshot.balance, price=price)
            raise InsufficientStamps(detail, stamps_left=snapshot.balance, stamps_needed=price)
        message.stamps_spent = price if pays else 0
        message.payer_account_id = contact.account_id if pays else None
        auto_entry = _apply_review_rules(message, rules)
        response = {"message_id": message.message_id, "status": message.status}
        if direction == states.TO_INMATE:
            response["stamps_left"] = snapshot.balance - message.stamps_spent
        try:
            stored = store.store_sent_message(
                message, expected_balance=snapshot.balance if pays else None, attempt=attempt,
                response=response, entry=auto_entry,
                activity_event=_activity(principal, message, client), attachments=tuple(items))
        except (store.StampsShort, store.IdempotencyKeyTaken):
            continue  # read again: the balance moved, or a twin request committed first
        except store.AttachmentTaken:
            raise media.AttachmentAlreadyUsed(_("This attachment was already sent with another "
                                                "message.")) from None
        media.sent(items)
        if auto_entry is not None:
            notifications.message_decided(message)
        return stored
    raise ServiceUnavailable(_("Your stamp balance changed several times during this send. "
                               "Nothing was sent; please try again."))


def _new_message(contact: Contact, direction: str, body: str) -> Message:
    now = clock.now()
    message_id = secrets.new_id("msg_")
    return Message(message_id, contact_id=contact.contact_id, facility_id=contact.facility_id,
                   family_thread_id=contact.contact_id if direction == states.TO_INMATE else None,
                   account_id=contact.account_id, inmate_id=contact.inmate_id,
                   direction=direction, family_name=contact.family_name,
                   inmate_name=contact.inmate_name, body=body, status=states.PENDING_REVIEW,
                   review_key=audit.review_key(contact.facility_id, states.PENDING_REVIEW),
                   sent_key=f"{clock.iso_precise(now)}#{message_id}", sent_at=clock.iso(now))


def _apply_review_rules(message: Message, rules: ReviewRules):
    """Flag watch-list hits; deliver at once when the facility allows it.  Returns the
    review-log line of the automatic decision, or None when the message waits for staff."""
    message.watch_words = rules.watch_list_hits(message.body)
    if message.parts or not rules.delivers_at_once(message.watch_words):
        return None  # photos and VideoGrams always wait for a person
    message.status = states.DELIVERED
    message.review_key = audit.review_key(message.facility_id, states.DELIVERED)
    message.decided_at = message.sent_at
    if message.direction == states.TO_INMATE:
        message.inbox_inmate_id = message.inmate_id
    else:
        message.family_thread_id = message.contact_id
    return audit.entry(f"message#{message.message_id}", None, "approve", states.PENDING_REVIEW,
                       states.DELIVERED, reason="No watch-list words (automatic review)")


def _activity(principal: Principal, message: Message, client: Client):
    """Family senders get a ``message_sent`` line in their account activity; inmates have no
    account activity log."""
    if principal.role != "family":
        return None
    return new_activity_event(principal.account_id, "message_sent", client,
                              message_id=message.message_id, contact_id=message.contact_id,
                              stamps=message.stamps_spent)


def _rules_of(facility) -> dict:
    return facility.rules.as_dict() if hasattr(facility.rules, "as_dict") else dict(facility.rules)


# --- staff review --------------------------------------------------------------------------

def review_queue(principal: Principal, status: str, limit: int, cursor: str | None) -> dict:
    """The facility's messages in ``status``, oldest first (the order they were sent)."""
    return store.review_queue(principal.facility_id, status, limit, cursor, render_for_staff)


def staff_view(principal: Principal, message_id: str) -> dict:
    message = _facility_message(principal, message_id)
    return {**render_for_staff(message), "review_log": audit.trail(f"message#{message_id}")}


def decide(principal: Principal, message_id: str, decision: str | None, reason: str | None,
           note: str | None, part_decisions: list[dict] | None = None) -> dict:
    """``decision`` decides the whole message; ``part_decisions`` each part (a message with
    attachments: the whole decision applies to every part)."""
    if (decision is None) == (part_decisions is None):
        raise InvalidRequest(_("Send either decision or parts."),
                             errors=[{"field": "decision", "problem": _(
                                 "send either decision or parts")}])
    message = _facility_message(principal, message_id)
    if message.parts or part_decisions:
        return _decide_parts(principal, message, decision, reason, note, part_decisions)
    to_status = states.MESSAGE_DECISIONS[decision]
    code = texts = None
    if to_status == states.REJECTED:
        code, texts = parts.rejection_reason(message.facility_id, reason)
    if message.status != states.PENDING_REVIEW:
        raise AlreadyDecided(_("This message was already reviewed (%(status)s).",
                               status=message.status))
    entry = audit.entry(f"message#{message_id}", principal, decision, message.status, to_status,
                        reason=reason, note=note, watch_words=list(message.watch_words))
    try:
        store.decide_message(message, to_status, entry, code, texts)
    except store.StateChanged:
        raise AlreadyDecided(_("Someone reviewed this message a moment ago.")) from None
    decided = store.message(message_id)
    notifications.message_decided(decided)
    return staff_view(principal, message_id)


def _decide_parts(principal: Principal, message: Message, decision: str | None,
                  reason: str | None, note: str | None, part_decisions: list[dict] | None) -> dict:
    if part_decisions is None:
        part_decisions = [{"part": part["part"], "decision": decision, "reason": reason}
                          for part in parts.stored(message)]
    if message.status != states.PENDING_REVIEW:
        raise AlreadyDecided(_("This message was already reviewed (%(status)s).",
                               status=message.status))
    try:
        parts.decide(principal, message, part_decisions, note)
    except store.StateChanged:
        raise AlreadyDecided(_("Someone reviewed this message a moment ago.")) from None
    notifications.message_decided(store.message(message.message_id))
    return staff_view(principal, message.message_id)


def _facility_message(principal: Principal, message_id: str) -> Message:
    message = store.message(message_id)
    if message is None or message.facility_id != principal.facility_id:
        raise message_not_found()
    return message


# --- threads and the inmate's inbox --------------------------------------------------------

def family_thread(principal: Principal, contact_id: str, limit: int, cursor: str | None) -> dict:
    """Newest first.  The family sees all it sent (with the reason of a rejection) and the
    inmate's replies once delivered; a page reads at most ``limit`` messages whatever the
    thread's length."""
    family_contact(principal.account_id, contact_id)  # 404 unless it is the family's
    return store.family_thread(contact_id, limit, cursor, render_for_family)


def inmate_inbox(principal: Principal, limit: int, cursor: str | None) -> dict:
    return store.inbox(principal.account_id, limit, cursor, render_inbox_item)


def inmate_open(principal: Principal, message_id: str) -> dict:
    message = store.message(message_id)
    if message is None or message.inbox_inmate_id != principal.account_id:
        raise message_not_found()
    if message.status == states.DELIVERED and store.mark_read(message):
        message = store.message(message_id)
    shown = {**render_inbox_item(message), "read_at": message.read_at,
             "body": message.body if parts.text_visible_to_inmate(message) else ""}
    if message.parts:
        shown["parts"] = parts.render(message, approved_only=True)
    return shown


# --- views -----------------------------------------------------------------------------------

def render_for_family(message: Message) -> dict:
    return {"message_id": message.message_id, "contact_id": message.contact_id,
            "direction": message.direction, "body": message.body, "status": message.status,
            "rejection_reason": message.reason_in(i18n.current()),
            "rejection_reason_code": message.rejection_reason_code, "sent_at": message.sent_at,
            "decided_at": message.decided_at, "read_at": message.read_at,
            **({"parts": parts.render(message)} if message.parts else {})}


def render_for_staff(message: Message) -> dict:
    return {**render_for_family(message), "facility_id": message.facility_id,
            "account_id": message.account_id, "family_name": message.family_name,
            "inmate_id": message.inmate_id, "inmate_name": message.inmate_name,
            "flagged": bool(message.watch_words), "watch_words": list(message.watch_words),
            "stamps_spent": int(message.stamps_spent)}


def render_inbox_item(message: Message) -> dict:
    return {"message_id": message.message_id, "contact_id": message.contact_id,
            "family_name": message.family_name, "sent_at": message.sent_at,
            "status": message.status}
