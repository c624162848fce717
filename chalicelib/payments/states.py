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
    FAILED = "failed"  # the card network refused it: a person must return the money


class CaptureStatus(StrEnum):
    PENDING = "pending"  # authorized, ledger committed, capture not confirmed yet
    CAPTURED = "captured"
    REFUSED = "refused"  # the authorization expired or was cancelled: a person must look
    VOIDED = "voided"  # the deposit was reversed before its capture: the hold was released


class DisputeStatus(StrEnum):
    OPEN = "open"  # the money is with the card network; the inmate's account is untouched
    WON = "won"
    LOST = "lost"  # a house loss


class Unsettled(StrEnum):
    """What a card payment still owes the processor (the sparse index's partitions); the
    reconciliation job works ``CAPTURE`` and ``REFUND``, the others wait for a person."""
    CAPTURE = "capture"
    REFUND = "refund"
    CAPTURE_REFUSED = "capture_refused"
    REFUND_FAILED = "refund_failed"


class PurchaseStatus(StrEnum):
    COMPLETED = "completed"


class FlagStatus(StrEnum):
    PENDING = "pending"
    CLEARED = "cleared"
    ESCALATED = "escalated"


FLAG_DECISIONS = (FlagStatus.CLEARED, FlagStatus.ESCALATED)
