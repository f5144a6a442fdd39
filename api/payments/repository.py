"""Stored payments moving through their statuses, each move recorded as an outbox event."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.payments.domain import OrderFacts, PaymentStatus, clip_reason, refund_label, sources
from api.payments.models import LIVE, OUTBOX, Payment
from common.clock import Clock
from common.events.catalogue import (
    PAYMENT_CREATED,
    PAYMENT_FAILED,
    PAYMENT_REFUNDED,
    PAYMENT_STARTED,
)
from common.events.envelope import new_event
from common.logging import request_id_var
from common.outbox import record
from common.saga_metrics import COMPENSATIONS, on_commit


def _event_data(payment: Payment, event_type: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(payment.id),
        "orderId": str(payment.order_id),
        "amountCents": payment.amount_cents,
        "currency": payment.currency,
    }
    if event_type != PAYMENT_STARTED:
        data["stripeId"] = payment.stripe_id
    if event_type == PAYMENT_FAILED:
        data["reason"] = payment.failure_reason
    if event_type == PAYMENT_REFUNDED:
        data["reason"] = payment.refund_reason
    return data


def record_payment_event(session: Session, event_type: str, payment: Payment, clock: Clock) -> None:
    """Put the payment's event in the outbox, in the caller's transaction."""
    correlation = request_id_var.get() or payment.correlation_id
    event = new_event(
        event_type, _event_data(payment, event_type), clock=clock, correlation_id=correlation
    )
    record(session, OUTBOX, event, payment.id)


def load(session: Session, payment_id: uuid.UUID) -> Payment | None:
    """The payment as stored now (bypassing anything the session remembers)."""
    return session.scalars(
        select(Payment).where(Payment.id == payment_id).execution_options(populate_existing=True)
    ).one_or_none()


def payments_of_order(session: Session, order_id: uuid.UUID) -> list[Payment]:
    """Every payment of an order, newest first."""
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.order_id == order_id)
            .order_by(Payment.created_at.desc(), Payment.id)
            .execution_options(populate_existing=True)
        )
    )


def start(
    session: Session,
    order: OrderFacts,
    payment_method: str,
    clock: Clock,
) -> Payment | None:
    """Insert the order's pending payment with payments.started; None if it has a live one."""
    # The partial unique index on live payments settles concurrent requests for one order:
    # the loser's insert waits for the winner's commit and then does nothing.
    now = clock.now()
    values = {
        "id": uuid.uuid4(),
        "order_id": order.id,
        "user_id": order.user_id,
        "status": PaymentStatus.PENDING,
        "amount_cents": order.price_cents,
        "currency": order.currency,
        "payment_method": payment_method,
        "attempts": 0,
        "attempted_at": now,
        "correlation_id": request_id_var.get(),
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    payment = session.scalars(
        insert(Payment)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[Payment.order_id], index_where=LIVE)
        .returning(Payment)
    ).one_or_none()
    if payment is not None:
        record_payment_event(session, PAYMENT_STARTED, payment, clock)
    return payment


def _move(
    session: Session, payment_id: uuid.UUID, target: PaymentStatus, clock: Clock, **values: Any
) -> Payment | None:
    # One conditional UPDATE (`WHERE status IN <allowed sources>`): of two racing moves (the
    # synchronous answer, a worker, a webhook) PostgreSQL lets exactly one match.
    statement = (
        update(Payment)
        .where(Payment.id == payment_id, Payment.status.in_(sources(target)))
        .values(status=target, version=Payment.version + 1, updated_at=clock.now(), **values)
        .returning(Payment)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return session.scalars(statement).one_or_none()


def begin_attempt(session: Session, payment_id: uuid.UUID, clock: Clock) -> Payment | None:
    """Count a charge attempt of a pending payment; None when it is not pending any more."""
    statement = (
        update(Payment)
        .where(Payment.id == payment_id, Payment.status == PaymentStatus.PENDING)
        .values(attempts=Payment.attempts + 1, attempted_at=clock.now())
        .returning(Payment)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return session.scalars(statement).one_or_none()


def note_stripe_id(session: Session, payment_id: uuid.UUID, stripe_id: str) -> None:
    """Remember the PaymentIntent of a payment still pending (e.g. `processing` at Stripe)."""
    session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.status == PaymentStatus.PENDING)
        .values(stripe_id=stripe_id)
    )


def succeed(
    session: Session, payment_id: uuid.UUID, stripe_id: str, clock: Clock
) -> Payment | None:
    """pending → succeeded with payments.created; None when it was not pending."""
    payment = _move(session, payment_id, PaymentStatus.SUCCEEDED, clock, stripe_id=stripe_id)
    if payment is not None:
        record_payment_event(session, PAYMENT_CREATED, payment, clock)
    return payment


def fail(
    session: Session,
    payment_id: uuid.UUID,
    reason: str,
    stripe_id: str | None,
    clock: Clock,
) -> Payment | None:
    """pending → failed with payments.failed; None when it was not pending."""
    values: dict[str, Any] = {"failure_reason": clip_reason(reason)}
    if stripe_id:
        values["stripe_id"] = stripe_id
    payment = _move(session, payment_id, PaymentStatus.FAILED, clock, **values)
    if payment is not None:
        record_payment_event(session, PAYMENT_FAILED, payment, clock)
    return payment


def request_refund(
    session: Session, payment_id: uuid.UUID, reason: str, clock: Clock
) -> Payment | None:
    """Note on a succeeded payment that it must be refunded (the first reason stays)."""
    now = clock.now()
    statement = (
        update(Payment)
        .where(Payment.id == payment_id, Payment.status == PaymentStatus.SUCCEEDED)
        .values(
            refund_reason=func.coalesce(Payment.refund_reason, clip_reason(reason)),
            refund_requested_at=now,
            updated_at=now,
        )
        .returning(Payment)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return session.scalars(statement).one_or_none()


def refund(
    session: Session,
    payment_id: uuid.UUID,
    refund_id: str | None,
    reason: str,
    clock: Clock,
) -> Payment | None:
    """succeeded → refunded with payments.refunded (why: the reason noted first, else `reason`)."""
    now = clock.now()
    payment = _move(
        session,
        payment_id,
        PaymentStatus.REFUNDED,
        clock,
        refund_id=refund_id,
        refund_reason=func.coalesce(Payment.refund_reason, clip_reason(reason)),
        refunded_at=now,
    )
    if payment is not None:
        record_payment_event(session, PAYMENT_REFUNDED, payment, clock)
        why = refund_label(payment.refund_reason)
        on_commit(session, lambda: COMPENSATIONS.labels("refund", why).inc())
    return payment


def note_refund_id(session: Session, payment_id: uuid.UUID, refund_id: str) -> None:
    """Keep the Stripe refund id of a payment whose refund was recorded without one."""
    session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.refund_id.is_(None))
        .values(refund_id=refund_id)
    )
