"""Pure rules of paying: payment statuses, who may pay which order, and the Stripe keys."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from common.clock import isoformat_z
from common.errors import Conflict, Forbidden

MAX_REASON_LENGTH = 500


class PaymentStatus(enum.StrEnum):
    """Where a payment is in its life (the moves allowed between them are TRANSITIONS)."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


# pending -> succeeded | failed; succeeded -> refunded; failed and refunded are terminal.
TRANSITIONS: Mapping[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.PENDING: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.FAILED}),
    PaymentStatus.SUCCEEDED: frozenset({PaymentStatus.REFUNDED}),
    PaymentStatus.FAILED: frozenset(),
    PaymentStatus.REFUNDED: frozenset(),
}

# A payment in one of these stands for the order; the database allows one per order.
LIVE_STATUSES: frozenset[PaymentStatus] = frozenset(
    {PaymentStatus.PENDING, PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED}
)


def sources(target: PaymentStatus) -> frozenset[PaymentStatus]:
    """The statuses from which a payment may move to `target`."""
    return frozenset(status for status, targets in TRANSITIONS.items() if target in targets)


class OrderStatus(enum.StrEnum):
    """An order's status as the replica knows it (the orders service owns the order)."""

    CREATED = "created"
    AWAITING_PAYMENT = "awaiting_payment"
    COMPLETE = "complete"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class OrderFacts:
    """What the payments service knows about an order from its replica."""

    id: uuid.UUID
    user_id: uuid.UUID
    status: OrderStatus
    expires_at: datetime
    price_cents: int
    currency: str
    reason: str | None


class OrderNotPayable(Conflict):
    """The order is cancelled, complete or expired, so it cannot be paid."""

    default_detail = "The order can no longer be paid."


class OrderNotReplicatedYet(Conflict):
    """The order was created a moment ago and has not reached payments yet: retry shortly."""

    default_detail = "This order has not reached payments yet; try again in a moment."


class PaymentSettled(Conflict):
    """The order's payment already failed or was refunded, so it cannot be paid again."""

    default_detail = "This order's payment is over."


def ensure_payable(order: OrderFacts, buyer_id: uuid.UUID, now: datetime) -> None:
    """Refuse someone else's order, and one that is cancelled, complete or past its expiry."""
    if order.user_id != buyer_id:
        raise Forbidden("This order belongs to someone else.")
    if order.status is OrderStatus.CANCELLED:
        raise OrderNotPayable("The order is cancelled; it can no longer be paid.")
    if order.status is OrderStatus.COMPLETE:
        raise OrderNotPayable("The order is complete; it has been paid already.")
    if order.expires_at <= now:
        raise OrderNotPayable(
            f"The order expired at {isoformat_z(order.expires_at)}; it can no longer be paid."
        )


def ensure_repeatable(status: PaymentStatus) -> None:
    """A repeated request gets the order's live payment back, unless that payment is over."""
    if status is PaymentStatus.FAILED:
        raise PaymentSettled("The payment for this order failed, so the order is cancelled.")
    if status is PaymentStatus.REFUNDED:
        raise PaymentSettled("The payment for this order was refunded: the order was cancelled.")


def refund_reason(order_reason: str | None) -> str:
    """Why a charge is given back: its order was cancelled before the payment completed."""
    why = f" ({order_reason.replace('_', ' ')})" if order_reason else ""
    return f"The order was cancelled{why} before the payment completed."


REFUND_LABELS = ("expired", "cancelled_by_buyer", "payment_declined")


def refund_label(reason: str | None) -> str:
    """A refund's reason as a metric label: the order's cancel reason it names, or `other`."""
    text = (reason or "").replace(" ", "_")
    return next((label for label in REFUND_LABELS if label in text), "other")


def clip_reason(reason: str) -> str:
    """A reason short enough for the catalogue (and never empty)."""
    text = reason.strip() or "The payment failed."
    return text[:MAX_REASON_LENGTH]


def charge_key(order_id: uuid.UUID) -> str:
    """The Stripe idempotency key of an order's charge: any retry replays the first answer."""
    return f"order-{order_id}-charge"


def refund_key(order_id: uuid.UUID) -> str:
    """The Stripe idempotency key of an order's refund: it is given back at most once."""
    return f"order-{order_id}-refund"
