"""Abuse signals for compliance staff (after the UK MoJ "Prisoner Money" security checks).
A matching deposit still completes and is flagged, in its own transaction: families depend on
the money arriving.  Under concurrency a flag may come one deposit late, never missed for good.
Staff decide each flag once (409 ``already_decided``).
Why: docs/decisions/deposits.md
"""
from __future__ import annotations

from typing import NamedTuple
from collections.abc import Callable

from chalicelib.core import clock, secrets
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.core.identity import Principal
from chalicelib.core.store import decode_cursor, get_or_none, page, written
from chalicelib.core.i18n import _
from chalicelib.facilities import MoneyRules
from chalicelib.payments.states import FlagStatus
from chalicelib.payments.store import ReviewFlag


class DayPicture(NamedTuple):
    """Distinct counts for the day, including the deposit being made."""

    inmates_paid_by_sender: int
    senders_paying_inmate: int


class Rule(NamedTuple):
    code: str
    description: str
    matches: Callable[[DayPicture, MoneyRules], bool]


RULES = (
    Rule("sender_pays_many_inmates", "One sender paid more distinct inmates today than the "
         "facility's threshold.",
         lambda day, rules: day.inmates_paid_by_sender > rules.flag_sender_inmates_per_day),
    Rule("inmate_paid_by_many_senders", "More distinct senders paid this inmate today than the "
         "facility's threshold.",
         lambda day, rules: day.senders_paying_inmate > rules.flag_inmate_senders_per_day),
)


def matching_rules(day: DayPicture, rules: MoneyRules) -> list[str]:
    return [rule.code for rule in RULES if rule.matches(day, rules)]


def new_flag(facility_id: str, deposit_id: str, inmate_id: str, sender_account_id: str,
             amount_cents: int, codes: list[str], day: DayPicture, at: str) -> ReviewFlag:
    return ReviewFlag(facility_id, f"flg_{at}_{secrets.new_id()}", deposit_id=deposit_id,
                      inmate_id=inmate_id, sender_account_id=sender_account_id,
                      amount_cents=amount_cents, rule_codes=codes, created_at=at,
                      details={"inmates_paid_by_sender_today": day.inmates_paid_by_sender,
                               "senders_paying_inmate_today": day.senders_paying_inmate})


def list_flags(staff: Principal, limit: int, cursor: str | None) -> dict:
    scope = f"flags:{staff.facility_id}"
    results = ReviewFlag.query(staff.facility_id, scan_index_forward=False, limit=limit,
                               last_evaluated_key=decode_cursor(cursor, scope))
    return page(results, scope, render)


def decide(staff: Principal, flag_id: str, decision: str, reason: str) -> dict:
    flag = get_or_none(ReviewFlag, staff.facility_id, flag_id)
    if flag is None:
        raise NotFound(_("No such flag at your facility."))
    if not written(lambda: flag.update(actions=[ReviewFlag.status.set(FlagStatus(decision)),
                                                ReviewFlag.decided_by.set(staff.account_id),
                                                ReviewFlag.decided_at.set(clock.iso()),
                                                ReviewFlag.decision_reason.set(reason)],
                                       condition=ReviewFlag.status == FlagStatus.PENDING)):
        raise Conflict(_("This flag was already decided; decisions are final."),
                       code="already_decided") from None
    return render(flag)


def render(flag: ReviewFlag) -> dict:
    return {"flag_id": flag.flag_id, "deposit_id": flag.deposit_id, "inmate_id": flag.inmate_id,
            "sender_account_id": flag.sender_account_id, "amount_cents": int(flag.amount_cents),
            "rule_codes": list(flag.rule_codes), "details": flag.details.as_dict(),
            "status": flag.status, "created_at": flag.created_at, "decided_by": flag.decided_by,
            "decided_at": flag.decided_at, "decision_reason": flag.decision_reason}
