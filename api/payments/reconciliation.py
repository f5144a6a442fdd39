"""The safety net: charges and refunds whose worker message was lost are sent again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update

from api.payments import repository
from api.payments.domain import OrderStatus, PaymentStatus, refund_reason
from api.payments.followups import Dispatcher, FollowUp, dispatch_all
from api.payments.models import Order, Payment
from common.clock import Clock
from common.db import Database

BATCH = 100


@dataclass(frozen=True)
class Reconciled:
    """The payments whose charge or refund was sent to the workers again."""

    charges: list[uuid.UUID]
    refunds: list[uuid.UUID]


def reconcile_payments(
    db: Database, dispatcher: Dispatcher, clock: Clock, stuck_after_seconds: float
) -> Reconciled:
    """Re-send charges pending for too long and refunds owed but not made."""
    # The database is the record: a follow-up lost between a commit and the broker (a crash,
    # Redis restarted empty) is found here. Safe to run often and in several processes: rows
    # are claimed with SKIP LOCKED and stamped, and the charge and refund steps are idempotent.
    now = clock.now()
    cutoff = now - timedelta(seconds=stuck_after_seconds)
    with db.transaction() as session:
        stuck = (
            select(Payment.id)
            .where(Payment.status == PaymentStatus.PENDING, Payment.attempted_at < cutoff)
            .order_by(Payment.attempted_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
        charges = list(
            session.scalars(
                update(Payment)
                .where(Payment.id.in_(stuck.scalar_subquery()))
                .values(attempted_at=now)
                .returning(Payment.id)
            )
        )
        owed = session.execute(
            select(Payment.id, Order.reason)
            .join(Order, Order.id == Payment.order_id)
            .where(
                Payment.status == PaymentStatus.SUCCEEDED,
                Order.status == OrderStatus.CANCELLED,
                or_(Payment.refund_requested_at.is_(None), Payment.refund_requested_at < cutoff),
            )
            .limit(BATCH)
            .with_for_update(of=Payment, skip_locked=True)
        ).all()
        follow_ups = [FollowUp.charge(payment_id) for payment_id in charges]
        refunds = []
        for payment_id, order_reason in owed:
            requested = repository.request_refund(
                session, payment_id, refund_reason(order_reason), clock
            )
            if requested is not None and requested.refund_reason is not None:
                refunds.append(payment_id)
                follow_ups.append(FollowUp.refund(payment_id, requested.refund_reason))
    dispatch_all(dispatcher, follow_ups)
    return Reconciled(charges=charges, refunds=refunds)
