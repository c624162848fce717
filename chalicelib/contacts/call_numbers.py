"""The numbers a family takes calls on (api.md "Calls and the phone account"), each tied to one of
its approved contacts.  Registering needs the password again and sends an SMS code (stored as a
keyed digest, compared in constant time, single use, a few tries); a facility rule may then ask
staff to approve it.  The item's key is (inmate, number): the call platform's question "may this
inmate call this number?" is one consistent read, and removing a number deletes it, at once.
Why: docs/decisions/calls.md
"""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib import facilities
from chalicelib.accounts import (InvalidOrExpiredCode, account_by_id, count_code_message,
                                 reauthenticate, validated_phone)
from chalicelib.contacts.service import family_contact
from chalicelib.contacts.states import CONTACT_APPROVED, CALL_NUMBER_DECISIONS, CallNumberStatus
from chalicelib.core import audit, clock, secrets
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.core.i18n import _
from chalicelib.core.identity import Principal
from chalicelib.core.logs import log_event
from chalicelib.core.notify import notifier
from chalicelib.config import get_settings
from chalicelib.core.store import (BaseMeta, StoredModel, TableName, get_or_none, index_page,
                                   register, written)

PURPOSE = "call_number"


class NumbersByAccount(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    number_id = UnicodeAttribute(range_key=True)


class NumbersById(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_number_id"
        projection = KeysOnlyProjection()

    number_id = UnicodeAttribute(hash_key=True)


class NumbersInReview(GlobalSecondaryIndex):
    """Sparse: numbers waiting for staff, per facility (``<facility>#pending``)."""

    class Meta:
        index_name = "by_review_key"
        projection = AllProjection()

    review_key = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


@register
class CallNumber(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("call-numbers")

    inmate_id = UnicodeAttribute(hash_key=True)
    phone = UnicodeAttribute(range_key=True)  # E.164
    number_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    contact_id = UnicodeAttribute()
    facility_id = UnicodeAttribute()
    status = UnicodeAttribute()  # states.CallNumberStatus
    created_at = UnicodeAttribute()
    code_digest = UnicodeAttribute(null=True)
    code_expires_at = NumberAttribute(null=True)
    attempts_left = NumberAttribute(default=0)
    review_key = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    by_account = NumbersByAccount()
    by_number_id = NumbersById()
    in_review = NumbersInReview()


def number_not_found() -> NotFound:
    return NotFound(_("No such call number."), code="call_number_not_found")


def register_number(principal: Principal, phone: str, contact_id: str,
                    current_password: str) -> dict:
    phone = validated_phone(phone)
    reauthenticate(principal.account_id, current_password)
    contact = family_contact(principal.account_id, contact_id)
    if contact.status != CONTACT_APPROVED:
        raise Conflict(_("Calls need an approved contact; this one is %(status)s.",
                         status=contact.status), code="contact_not_approved")
    existing = get_or_none(CallNumber, contact.inmate_id, phone)
    if existing is not None and existing.account_id != principal.account_id:
        raise Conflict(_("Another family already takes this person's calls on this number."),
                       code="call_number_taken")
    count_code_message(principal.account_id)  # before any code goes out (429 past the limit)
    number_id = existing.number_id if existing else secrets.new_id("num_")
    code = secrets.new_numeric_code()
    record = CallNumber(contact.inmate_id, phone, number_id=number_id,
                        account_id=principal.account_id, contact_id=contact_id,
                        facility_id=contact.facility_id,
                        status=CallNumberStatus.PENDING_VERIFICATION,
                        created_at=existing.created_at if existing else clock.iso(),
                        code_digest=secrets.keyed_digest(code, f"{PURPOSE}:{number_id}"),
                        code_expires_at=int(clock.now() + get_settings().verification_code_seconds),
                        attempts_left=get_settings().code_max_attempts)
    condition = (CallNumber.phone.does_not_exist() if existing is None
                 else CallNumber.account_id == principal.account_id)
    if not written(lambda: record.save(condition=condition)):
        raise Conflict(_("Another family already takes this person's calls on this number."),
                       code="call_number_taken")
    account = account_by_id(principal.account_id)
    notifier().sms(phone, "call_number_verification", language=account.language if account else None,
                   code=code, minutes=get_settings().verification_code_seconds // 60)
    log_event("call_number_registered", number_id=number_id)
    return {"number_id": number_id, "status": record.status}


def verify(principal: Principal, number_id: str, code: str) -> dict:
    """Spend a try first (a conditional decrement), then compare: parallel guesses cannot
    exceed the tries.  The right code moves the number on once."""
    record = _own(principal, number_id)
    if record.status != CallNumberStatus.PENDING_VERIFICATION:
        raise Conflict(_("This number is already verified."), code="already_verified")
    if not written(lambda: record.update(actions=[CallNumber.attempts_left.add(-1)],
                                         condition=(CallNumber.attempts_left > 0)
                                         & (CallNumber.code_expires_at > int(clock.now())))):
        raise InvalidOrExpiredCode()
    expected = record.code_digest
    if not secrets.same(expected, secrets.keyed_digest(code.strip(), f"{PURPOSE}:{number_id}")):
        raise InvalidOrExpiredCode()
    facility = facilities.facility(record.facility_id)
    needs_staff = bool(facility and facility.rules.as_dict().get("call_numbers_need_approval"))
    status = CallNumberStatus.PENDING_APPROVAL if needs_staff else CallNumberStatus.APPROVED
    actions = [CallNumber.status.set(status), CallNumber.code_digest.remove(),
               CallNumber.code_expires_at.remove()]
    if needs_staff:
        actions.append(CallNumber.review_key.set(audit.review_key(record.facility_id, "pending")))
    if not written(lambda: record.update(actions=actions,
                                         condition=CallNumber.code_digest == expected)):
        raise InvalidOrExpiredCode()
    record.status = status
    return render(record)


def own_numbers(principal: Principal, limit: int, cursor: str | None) -> dict:
    return index_page(CallNumber.by_account, principal.account_id, limit, cursor, render,
                      newest_first=True)


def remove(principal: Principal, number_id: str) -> None:
    """Deleted at once: the next authorisation reads it consistently and finds nothing."""
    record = _own(principal, number_id)
    record.delete(condition=CallNumber.number_id == number_id)
    log_event("call_number_removed", number_id=number_id)


def in_review(facility_id: str, limit: int, cursor: str | None) -> dict:
    return index_page(CallNumber.in_review, audit.review_key(facility_id, "pending"), limit,
                      cursor, render_for_staff, newest_first=False)


def decide(principal: Principal, facility_id: str, number_id: str, decision: str,
           reason: str | None) -> dict:
    record = _by_id(number_id)
    if record is None or record.facility_id != facility_id:
        raise number_not_found()
    to_status = CALL_NUMBER_DECISIONS[decision]
    if not written(lambda: record.update(
            actions=[CallNumber.status.set(to_status), CallNumber.review_key.remove(),
                     CallNumber.decided_by.set(principal.account_id),
                     CallNumber.decided_at.set(clock.iso()), CallNumber.reason.set(reason or "")],
            condition=CallNumber.status == CallNumberStatus.PENDING_APPROVAL)):
        raise Conflict(_("This number is not waiting for a decision."), code="already_decided")
    return render_for_staff(get_or_none(CallNumber, record.inmate_id, record.phone))


def approved_number(inmate_id: str, phone: str) -> CallNumber | None:
    """The platform's question, one consistent read: the number if this inmate may call it."""
    return get_or_none(CallNumber, inmate_id, phone)


def _by_id(number_id: str) -> CallNumber | None:
    if len(number_id) > 64:  # no id is that long (and DynamoDB refuses huge keys)
        return None
    keys = next(iter(CallNumber.by_number_id.query(number_id, limit=1)), None)
    return get_or_none(CallNumber, keys.inmate_id, keys.phone) if keys else None


def _own(principal: Principal, number_id: str) -> CallNumber:
    record = _by_id(number_id)
    if record is None or record.account_id != principal.account_id:
        raise number_not_found()
    return record


def render(record: CallNumber) -> dict:
    return {"number_id": record.number_id, "phone": record.phone,
            "contact_id": record.contact_id, "inmate_id": record.inmate_id,
            "facility_id": record.facility_id, "status": record.status,
            "created_at": record.created_at}


def render_for_staff(record: CallNumber) -> dict:
    return {**render(record), "account_id": record.account_id,
            "decided_at": record.decided_at, "reason": record.reason}

