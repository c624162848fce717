"""The call platform's API (api.md "Calls"): authorise a call, end it; the family's call list;
the job that releases holds of calls never ended; refunds when an inmate is released.

Authorising holds the most the call can cost from the payer's balance in the transaction that
saves the call, so two calls at once cannot overspend it.  Ending is one transaction: the call's
transition (conditioned on ``authorized``) and its one ledger journal on the facility's house
accounts; a repeat answers the same, a different end 409, an unknown call 404, nothing charged.
Why: docs/decisions/calls.md
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactGet, TransactWrite

from chalicelib import contacts, facilities, payments
from chalicelib.accounts import validated_phone
from chalicelib.calls import rating
from chalicelib.calls.states import DROPS, CallStatus, Refusal
from chalicelib.calls.store import Call, CallDrop, Release
from chalicelib.config import get_settings
from chalicelib.core import clock, secrets
from chalicelib.core.errors import Conflict, InvalidRequest, NotFound
from chalicelib.core.i18n import _
from chalicelib.core.logs import log_event
from chalicelib.core.store import (decode_cursor, get_or_none, index_page, page, stripe_of,
                                   read_together, refused, resolved, write_together, written)

RELEASE_GRACE_SECONDS = 10 * 60  # an authorisation never ended lapses max_seconds + this later
DEFAULT_MAX_MINUTES = 15
HOLD_ATTEMPTS = 3  # a concurrent spend changed the balance: read it again and hold again
DROP_KEPT_SECONDS = 24 * 60 * 60
MAX_ID_LENGTH = 64  # ids in paths: longer ones exist nowhere (and DynamoDB refuses huge keys)


class CallNotFound(NotFound):
    code = "call_not_found"

    def __init__(self) -> None:
        super().__init__(_("No such call for this platform."))


def authorize(platform_key: str | None, body: dict) -> dict:
    """Four reads: the key, the inmate (index), facility + number + last drop (one
    TransactGetItems), the payer's balance; then one transaction."""
    platform = facilities.platform_by_key(platform_key)
    phone = _dialed(body["dialed_number"])
    number_typed = body["inmate_number"].strip().upper()
    inmate = (facilities.inmate_by_number(platform.facility_id, number_typed, consistent=False)
              if number_typed else None)
    if inmate is None:
        raise NotFound(_("No such inmate at this facility."), code="inmate_not_found")
    futures = {}

    def reads(snapshot: TransactGet) -> None:  # one request for three items
        futures.update(facility=snapshot.get(facilities.Facility, platform.facility_id),
                       number=snapshot.get(contacts.CallNumber, inmate.inmate_id, phone),
                       drop=snapshot.get(CallDrop, f"{inmate.inmate_id}#{phone}"))

    read_together(reads)
    facility, number, drop = (resolved(futures[name]) for name in ("facility", "number", "drop"))
    if facility is None or not facilities.held(inmate, facility):
        raise NotFound(_("No such inmate at this facility."), code="inmate_not_found")
    relay = phone in _relay_numbers()
    if not relay and (number is None or number.status != contacts.CallNumberStatus.APPROVED):
        denied = number is not None and number.status == contacts.CallNumberStatus.DENIED
        return _refused(Refusal.BLOCKED if denied else Refusal.NUMBER_NOT_APPROVED)
    rules = facility.rules.as_dict()
    now = clock.now()
    until_closing = rating.seconds_until_closing(rules.get("call_hours"), facility.timezone, now)
    if until_closing == 0:
        return _refused(Refusal.OUTSIDE_HOURS)
    cap = facilities.audio_cap(facility.kind, facility.average_daily_population, clock.iso(now))
    rate = 0 if relay else rating.effective_rate(
        int(rules.get("call_rate_cents_per_minute", 0)), cap.cents_per_minute)
    limit = 60 * int(rules.get("call_max_minutes", DEFAULT_MAX_MINUTES))
    if until_closing is not None:
        limit = min(limit, until_closing)
    continues = (drop.call_id if drop is not None
                 and now - float(drop.dropped_at) <= rating.CONTINUE_WITHIN_SECONDS else None)
    for _attempt in range(HOLD_ATTEMPTS):
        account_id = number.account_id if number is not None else None
        chosen = _payer(rules.get("calls_paid_by", "family"), account_id, inmate.inmate_id,
                        facility.facility_id, rate)
        if chosen is None:
            return _refused(Refusal.NO_BALANCE)
        payer, balance = chosen
        seconds = rating.max_seconds(limit, balance, rate)
        held = 0 if payer.kind == "agency" else rating.charge_cents(seconds, rate)
        call = Call(secrets.new_id("call_"), facility_id=facility.facility_id,
                    inmate_id=inmate.inmate_id, inmate_number=inmate.inmate_number,
                    dialed_number=phone, account_id=account_id, payer=payer.kind,
                    payer_account=payer.account, rate_cents_per_minute=rate,
                    max_seconds=seconds, held_cents=held, free_drop=0 if continues else 1,
                    continues_call_id=continues, status=CallStatus.AUTHORIZED,
                    authorized_at=clock.iso_precise(now))
        release_at = now + seconds + RELEASE_GRACE_SECONDS
        call.release_at = int(release_at)
        call.release_hour = release_hour(release_at, call.call_id)

        def write(transaction: TransactWrite, call=call, payer=payer, held=held) -> None:
            transaction.save(call, condition=Call.call_id.does_not_exist())
            payments.hold_for_call_in(transaction, payer, call.call_id, held, clock.iso(now))

        if written(lambda write=write: write_together(write)):
            log_event("call_authorized", call_id=call.call_id, payer=payer.kind,
                      held_cents=held, max_seconds=seconds)
            return {"call_id": call.call_id, "allowed": True, "payer": payer.kind,
                    "rate_cents_per_minute": rate, "max_seconds": seconds,
                    "continues_call_id": continues}
    return _refused(Refusal.NO_BALANCE)


def _relay_numbers() -> set[str]:
    return {number.strip() for number in get_settings().relay_numbers.split(",") if number.strip()}


def _dialed(raw: str) -> str:
    try:
        return validated_phone(raw)
    except InvalidRequest:
        raise InvalidRequest(_("dialed_number must be a valid phone number."), errors=[
            {"field": "dialed_number", "problem": _("not a valid phone number")}]) from None


def _payer(paid_by: str, account_id: str | None, inmate_id: str, facility_id: str,
           rate: int) -> tuple[payments.Payer, int | None] | None:
    """The agency in a free-call facility; else the family's calling balance; else the inmate's
    phone account; a balance that does not cover a minute does not pay.  None: nobody can."""
    if paid_by == "agency" or rate == 0:
        return payments.AGENCY_PAYER, None
    candidates = [payments.inmate_payer(inmate_id)]
    if paid_by != "inmate":
        candidates.insert(0, payments.family_payer(account_id, facility_id))
    for payer in candidates:
        balance = payments.payer_balance_cents(payer.account)
        if balance >= rate:
            return payer, balance
    return None


def _refused(reason: Refusal) -> dict:
    log_event("call_refused", reason=str(reason))
    return {"allowed": False, "reason": str(reason)}


def end(platform_key: str | None, call_id: str, body: dict) -> dict:
    """Reads: the key, the call; then one transaction."""
    platform = facilities.platform_by_key(platform_key)
    call = get_or_none(Call, call_id) if len(call_id) <= MAX_ID_LENGTH else None
    if call is None or call.facility_id != platform.facility_id:
        raise CallNotFound()
    connected, cause = int(body["connected_seconds"]), body["end_cause"]
    if call.status != CallStatus.AUTHORIZED:
        return _repeat(call, connected, cause)
    seconds, charge = rating.billed(connected, int(call.max_seconds), cause,
                                    bool(int(call.free_drop)), int(call.rate_cents_per_minute))
    now = clock.now()
    at = clock.iso(now)

    def write(transaction: TransactWrite) -> None:
        transaction.update(call, actions=[
            Call.status.set(CallStatus.ENDED), Call.ended_at.set(at),
            Call.connected_seconds.set(connected), Call.billed_seconds.set(seconds),
            Call.end_cause.set(cause), Call.charge_cents.set(charge),
            Call.release_hour.remove(), Call.release_at.remove()],
            condition=Call.status == CallStatus.AUTHORIZED)
        payments.settle_call_in(transaction, _payer_of(call), call.call_id, call.facility_id,
                                int(call.held_cents), charge, at)
        if cause in DROPS:
            transaction.save(CallDrop(f"{call.inmate_id}#{call.dialed_number}",
                                      call_id=call.continues_call_id or call.call_id,
                                      dropped_at=int(now),
                                      ttl=timedelta(seconds=DROP_KEPT_SECONDS)))

    try:
        write_together(write)
    except TransactWriteError as error:
        if not refused(error):
            raise
        return _repeat(get_or_none(Call, call_id), connected, cause)  # a concurrent end won
    log_event("call_ended", call_id=call_id, billed_seconds=seconds, charge_cents=charge)
    return {"call_id": call_id, "charge_cents": charge, "billed_seconds": seconds}


def _repeat(call: Call, connected: int, cause: str) -> dict:
    if (call.status == CallStatus.ENDED and int(call.connected_seconds) == connected
            and call.end_cause == cause):
        return {"call_id": call.call_id, "charge_cents": int(call.charge_cents),
                "billed_seconds": int(call.billed_seconds)}
    raise Conflict(_("This call has already ended differently."), code="call_already_ended")


def _payer_of(call: Call) -> payments.Payer:
    return payments.Payer(call.payer, call.payer_account,
                          call.account_id if call.payer == "family" else None)


def calls_of(account_id: str, limit: int, cursor: str | None) -> dict:
    return index_page(Call.by_account, account_id, limit, cursor, render, newest_first=True)


def render(call: Call) -> dict:
    return {"call_id": call.call_id, "facility_id": call.facility_id,
            "inmate_id": call.inmate_id, "inmate_number": call.inmate_number,
            "dialed_number": call.dialed_number, "status": call.status, "payer": call.payer,
            "started_at": call.authorized_at[:19] + "Z", "ended_at": call.ended_at,
            "duration_seconds": int(call.billed_seconds or 0),
            "rate_cents_per_minute": int(call.rate_cents_per_minute),
            "charge_cents": int(call.charge_cents or 0), "end_cause": call.end_cause,
            "continues_call_id": call.continues_call_id}


# --- jobs and listeners ----------------------------------------------------------------------

LOOK_BACK_HOURS = 48  # release hours a stopped job still catches up on
# Every authorisation writes the open-calls index and every end removes it: at 5 million calls
# a day one hour's key would take ~280 writes a second at the peak hour, 1,400 at 5x, over a
# partition's 1,000 (docs/scale.md); 8 stripes per hour keep a 20x surge under 70%.
RELEASE_STRIPES = 8


def release_hour(epoch_seconds: float, call_id: str) -> str:
    """The key of the sparse index of open calls: the UTC hour their hold is due back and a
    stripe from the call id (``2026-12-01T22#05``)."""
    return release_stripe(epoch_seconds, stripe_of(call_id, RELEASE_STRIPES))


def release_stripe(epoch_seconds: float, stripe: int) -> str:
    return f"{datetime.fromtimestamp(epoch_seconds, tz=UTC).strftime('%Y-%m-%dT%H')}#{stripe:02d}"


def release_lapsed() -> int:
    """Every few minutes: calls authorised and never ended, past ``max_seconds`` + 10 minutes,
    give their hold back (charge 0).  Queries only the passed hours of the sparse index, each
    hour's stripes in turn."""
    now = clock.now()
    released = 0
    for back in range(LOOK_BACK_HOURS, -1, -1):
        for stripe in range(RELEASE_STRIPES):
            key_of_hour = release_stripe(now - back * 3600, stripe)
            for key in Call.open_calls.query(key_of_hour, Call.release_at <= int(now)):
                call = get_or_none(Call, key.call_id)
                if call is not None and call.status == CallStatus.AUTHORIZED and _release(call):
                    released += 1
    return released


def _release(call: Call) -> bool:
    at = clock.iso()

    def write(transaction: TransactWrite) -> None:
        transaction.update(call, actions=[Call.status.set(CallStatus.RELEASED),
                                          Call.ended_at.set(at), Call.charge_cents.set(0),
                                          Call.billed_seconds.set(0),
                                          Call.release_hour.remove(), Call.release_at.remove()],
                           condition=Call.status == CallStatus.AUTHORIZED)
        payments.settle_call_in(transaction, _payer_of(call), call.call_id, call.facility_id,
                                int(call.held_cents), 0, at)

    return written(lambda: write_together(write))


def refund_on_release(facility_id: str, inmate_ids: list[str], import_id: str) -> None:
    """The roster released people: each is listed for staff to pay out, and the calling
    balances at that facility of the families who were their approved contacts go back to
    their cards."""
    at = clock.iso()
    for inmate_id in inmate_ids:
        inmate = facilities.inmate(inmate_id)
        if inmate is not None:
            Release(facility_id, f"{at}#{inmate_id}", inmate_id=inmate_id,
                    inmate_number=inmate.inmate_number, full_name=inmate.full_name,
                    import_id=import_id, released_at=at).save()
    families = {contact.account_id for inmate_id in inmate_ids
                for contact in contacts.Contact.by_approved_inmate.query(inmate_id)}
    for account_id in sorted(families):
        refund = payments.refund_calling_balance(account_id, facility_id, "released")
        log_event("calling_refund_on_release", facility_id=facility_id, import_id=import_id,
                  amount_cents=refund["amount_cents"])



def releases(facility_id: str, limit: int, cursor: str | None) -> dict:
    """Staff: people released, oldest first, with their own balances as they stand now."""
    def render_release(found: Release) -> dict:
        return {"inmate_id": found.inmate_id, "inmate_number": found.inmate_number,
                "full_name": found.full_name, "released_at": found.released_at,
                "trust_cents": payments.payer_balance_cents(
                    payments.inmate_account(found.inmate_id, "trust")),
                "phone_cents": payments.payer_balance_cents(
                    payments.inmate_account(found.inmate_id, "phone"))}

    scope = f"releases:{facility_id}"
    results = Release.query(facility_id, limit=limit, last_evaluated_key=decode_cursor(cursor, scope))
    return page(results, scope, render_release)
