"""Payments as operators read them: one order's payments, the refunds, the stuck charges."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.payments.domain import OrderStatus, PaymentStatus
from api.payments.models import Order, Payment

MAX_ROWS = 200


@dataclass(frozen=True)
class StuckPayment:
    """A payment past PAYMENTS_STUCK_AFTER_SECONDS in a state that should have moved on."""

    payment: Payment
    kind: str  # charge_pending or refund_owed
    reason: str


def payments_of_order(session: Session, order_id: uuid.UUID) -> list[Payment]:
    """Every payment of the order, oldest first, whoever made it."""
    return list(
        session.scalars(
            select(Payment).where(Payment.order_id == order_id).order_by(Payment.created_at)
        )
    )


def compensations(session: Session, since: datetime, limit: int = 50) -> list[Payment]:
    """Payments refunded or owed a refund since `since`, newest request first."""
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.refund_requested_at >= since)
            .order_by(Payment.refund_requested_at.desc())
            .limit(min(limit, MAX_ROWS))
        )
    )


def stuck_payments(
    session: Session, now: datetime, stuck_after_seconds: float
) -> list[StuckPayment]:
    """Charges pending and refunds owed for longer than the stuck threshold."""
    cutoff = now - timedelta(seconds=stuck_after_seconds)
    pending = session.scalars(
        select(Payment)
        .where(Payment.status == PaymentStatus.PENDING, Payment.attempted_at < cutoff)
        .order_by(Payment.attempted_at)
        .limit(MAX_ROWS)
    )
    found = [
        StuckPayment(
            payment,
            "charge_pending",
            f"charge pending for {(now - payment.attempted_at).total_seconds():.0f} s, past "
            f"PAYMENTS_STUCK_AFTER_SECONDS ({stuck_after_seconds:.0f} s)",
        )
        for payment in pending
    ]
    owed = session.scalars(
        select(Payment)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Payment.status == PaymentStatus.SUCCEEDED,
            Order.status == OrderStatus.CANCELLED,
            or_(Payment.refund_requested_at.is_(None), Payment.refund_requested_at < cutoff),
        )
        .limit(MAX_ROWS)
    )
    found += [
        StuckPayment(
            payment,
            "refund_owed",
            "charged for a cancelled order and not refunded within "
            f"PAYMENTS_STUCK_AFTER_SECONDS ({stuck_after_seconds:.0f} s)",
        )
        for payment in owed
    ]
    return found
