"""Stored orders moving through the state machine, each move recorded as an event."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningUpdate
from sqlalchemy.sql.elements import ColumnElement

from api.orders.models import OUTBOX, Order
from api.orders.state import OrderStatus, sources
from common.clock import Clock, isoformat_z
from common.events.catalogue import (
    ORDER_CANCELLED,
    ORDER_COMPLETED,
    ORDER_CREATED,
    ORDER_UPDATED,
)
from common.events.envelope import new_event
from common.outbox import record, record_many

# Every version bump of an order emits exactly one of these.
EVENT_OF_TARGET: Mapping[OrderStatus, str] = {
    OrderStatus.AWAITING_PAYMENT: ORDER_UPDATED,
    OrderStatus.COMPLETE: ORDER_COMPLETED,
    OrderStatus.CANCELLED: ORDER_CANCELLED,
}


def snapshot(order: Order) -> dict[str, Any]:
    """The order as every order event carries it (catalogue: full snapshot with version)."""
    return {
        "id": str(order.id),
        "version": order.version,
        "status": order.status.value,
        "ticketId": str(order.ticket_id),
        "userId": str(order.user_id),
        "expiresAt": isoformat_z(order.expires_at),
        "priceCents": order.price_cents,
        "currency": order.currency,
        "reason": order.reason,
    }


def record_order_event(session: Session, event_type: str, order: Order, clock: Clock) -> None:
    """Put the order's event in the outbox, in the caller's transaction."""
    record(session, OUTBOX, new_event(event_type, snapshot(order), clock=clock), order.id)


def record_created(session: Session, order: Order, clock: Clock) -> None:
    """An order was just inserted (version 1)."""
    record_order_event(session, ORDER_CREATED, order, clock)


def transition(
    session: Session,
    order_id: uuid.UUID,
    target: OrderStatus,
    clock: Clock,
    *,
    reason: str | None = None,
    detail: str | None = None,
) -> Order | None:
    """Move the order to `target` if its current status allows it; None when it does not.

    One conditional UPDATE (`WHERE status IN (allowed sources)`): of two racing transitions
    PostgreSQL lets exactly one match, the other sees the new status and updates nothing.
    """
    params = {"order_id": order_id, "moved_at": clock.now(), "why": reason, "detail": detail}
    moved = list(session.scalars(_move_one(target), params))
    _record_moves(session, moved, target, clock)
    return moved[0] if moved else None


@functools.cache
def _move_one(target: OrderStatus) -> ReturningUpdate[Order]:
    """transition()'s UPDATE, built once per target: every saga event of an order runs one."""
    return (
        update(Order)
        .where(Order.id == bindparam("order_id"), Order.status.in_(sources(target)))
        .values(
            status=target,
            version=Order.version + 1,
            updated_at=bindparam("moved_at"),
            reason=bindparam("why"),
            reason_detail=bindparam("detail"),
        )
        .returning(Order)
        .execution_options(populate_existing=True, synchronize_session=False)
    )


def transition_where(
    session: Session,
    where: ColumnElement[bool],
    target: OrderStatus,
    clock: Clock,
    *,
    reason: str | None = None,
    detail: str | None = None,
) -> list[Order]:
    """Move every matching order whose status allows it to `target`; each moved one emits."""
    now = clock.now()
    statement = (
        update(Order)
        .where(where, Order.status.in_(sources(target)))
        .values(
            status=target,
            version=Order.version + 1,
            updated_at=now,
            reason=reason,
            reason_detail=detail,
        )
        .returning(Order)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    moved = list(session.scalars(statement))
    _record_moves(session, moved, target, clock)
    return moved


def _record_moves(session: Session, moved: list[Order], target: OrderStatus, clock: Clock) -> None:
    """Each moved order's event, in the outbox of the same transaction."""
    event_type = EVENT_OF_TARGET[target]
    record_many(
        session,
        OUTBOX,
        [(new_event(event_type, snapshot(order), clock=clock), order.id) for order in moved],
    )
