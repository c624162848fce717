"""The states of a visit and the only transitions between them (docs/api.md "Visits").

Each transition names the states it may start from; ``lifecycle`` applies it as one DynamoDB
transaction conditioned on the visit still being in one of them, appends the timeline line and
an audit line in the same transaction, so a transition happens at most once and two staff
members (or staff and a job) cannot both win.  ``StrEnum``: each member is the stored string.
"""
from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class VisitStatus(StrEnum):
    REQUESTED = "requested"  # waits for staff (policy: staff approval)
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"  # checked in (onsite) or connected (video)
    COMPLETED = "completed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class Mode(StrEnum):
    ONSITE = "onsite"
    VIDEO = "video"


class CancelledBy(StrEnum):
    FAMILY = "family"
    STAFF = "staff"
    SYSTEM = "system"


REQUESTED, SCHEDULED, IN_PROGRESS, COMPLETED, DECLINED, CANCELLED, NO_SHOW = VisitStatus
ONSITE, VIDEO = Mode
# Visits that keep their place and count toward the inmate's allowance.
LIVE = (REQUESTED, SCHEDULED, IN_PROGRESS)


class Transition(NamedTuple):
    name: str  # the audit line's action
    sources: tuple[VisitStatus, ...]
    target: VisitStatus
    frees_place: bool  # the place and the inmate's time go back to others


APPROVE = Transition("approve", (REQUESTED,), SCHEDULED, False)
DECLINE = Transition("decline", (REQUESTED,), DECLINED, True)
CANCEL = Transition("cancel", (REQUESTED, SCHEDULED), CANCELLED, True)
CHECK_IN = Transition("check_in", (SCHEDULED,), IN_PROGRESS, False)
CONNECT = Transition("connect", (SCHEDULED,), IN_PROGRESS, False)
MARK_NO_SHOW = Transition("no_show", (SCHEDULED,), NO_SHOW, False)
COMPLETE = Transition("complete", (SCHEDULED, IN_PROGRESS), COMPLETED, False)

# Reason codes the system and families give (staff give one from the facility's list).
FAMILY_CANCELLED = "family_cancelled"
NOT_DECIDED_IN_TIME = "not_decided_in_time"
INMATE_RELEASED = "inmate_released"
ACCOUNT_CLOSED = "account_closed"
