"""Compensation (BRIEF rule 5): a charge kept for an order that was cancelled is given back."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.payments import repository
from api.payments.domain import OrderFacts, OrderStatus, PaymentStatus, refund_reason
from api.payments.followups import FollowUp
from api.payments.gateway import Gateway, RefundRequest
from api.payments.models import Payment
from common.clock import Clock
from common.db import Database


def refund_if_order_cancelled(
    session: Session, payment: Payment, order: OrderFacts | None, clock: Clock
) -> list[FollowUp]:
    """A success just applied to the payment of a cancelled order is to be refunded."""
    if order is None or order.status is not OrderStatus.CANCELLED:
        return []
    requested = repository.request_refund(session, payment.id, refund_reason(order.reason), clock)
    if requested is None or requested.refund_reason is None:
        return []
    return [FollowUp.refund(requested.id, requested.refund_reason)]


def refunds_for_cancelled_order(
    session: Session, order_id: uuid.UUID, order_reason: str | None, clock: Clock
) -> list[FollowUp]:
    """orders.cancelled reached the replica: the order's succeeded payment is to be refunded."""
    paid = session.scalars(
        select(Payment.id)
        .where(Payment.order_id == order_id, Payment.status == PaymentStatus.SUCCEEDED)
        .with_for_update()
    ).all()
    follow_ups = []
    for payment_id in paid:
        requested = repository.request_refund(
            session, payment_id, refund_reason(order_reason), clock
        )
        if requested is not None and requested.refund_reason is not None:
            follow_ups.append(FollowUp.refund(payment_id, requested.refund_reason))
    return follow_ups


class Refunds:
    """Give a succeeded payment's money back through Stripe, and record it."""

    def __init__(self, db: Database, gateway: Gateway, clock: Clock) -> None:
        self.db, self.gateway, self.clock = db, gateway, clock

    def refund(self, payment_id: uuid.UUID, reason: str) -> Payment | None:
        """Refund the payment unless it is not (or no longer) succeeded; safe to repeat."""
        # Safe to run twice or to resume after a crash: only a succeeded payment is sent to
        # Stripe, always under the order's refund idempotency key, so Stripe refunds once
        # and replays that refund to every retry.
        with self.db.transaction() as session:
            payment = repository.request_refund(session, payment_id, reason, self.clock)
            if payment is None:
                return repository.load(session, payment_id)
        if payment.stripe_id is None or payment.refund_reason is None:
            raise LookupError(f"succeeded payment {payment_id} lacks its Stripe id")
        refund_id = self.gateway.refund(
            RefundRequest(payment.id, payment.order_id, payment.stripe_id, payment.refund_reason)
        )
        with self.db.transaction() as session:
            refunded = repository.refund(session, payment_id, refund_id, reason, self.clock)
            if refunded is None and refund_id is not None:
                # Stripe's webhook recorded the refund first; keep the refund's id too.
                repository.note_refund_id(session, payment_id, refund_id)
            return refunded or repository.load(session, payment_id)
