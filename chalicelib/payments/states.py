"""The states of deposits, their card refunds, stamp purchases and review flags.

``StrEnum``: each member is the very string stored in DynamoDB and sent in responses.  Every
transition is one write conditioned on the state it requires (``deposits.refund``,
``flags.decide``), so it happens at most once.
"""
from __future__ import annotations

from enum import StrEnum


class DepositStatus(StrEnum):
    COMPLETED = "completed"  # money in the inmate's account
    REFUNDED = "refunded"  # reversed once, fee included


class CardRefund(StrEnum):
    PENDING = "pending"  # from the refund transaction until the processor confirms
    SENT = "sent"


class PurchaseStatus(StrEnum):
    COMPLETED = "completed"


class FlagStatus(StrEnum):
    PENDING = "pending"
    CLEARED = "cleared"
    ESCALATED = "escalated"


FLAG_DECISIONS = (FlagStatus.CLEARED, FlagStatus.ESCALATED)
