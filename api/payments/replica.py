"""The payments service's replica of orders, fed by the orders.* full snapshots."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.payments.domain import OrderFacts, OrderStatus
from api.payments.models import ORDERS, Order
from common.events.versions import VersionCheck, VersionedReplica

_REPLICA = VersionedReplica(ORDERS)


def _columns(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "version": int(data["version"]),
        "status": OrderStatus(str(data["status"])),
        "ticket_id": uuid.UUID(str(data["ticketId"])),
        "user_id": uuid.UUID(str(data["userId"])),
        "expires_at": datetime.fromisoformat(str(data["expiresAt"])),
        "price_cents": int(data["priceCents"]),
        "currency": str(data["currency"]),
        "reason": data.get("reason"),
    }


def apply_order_snapshot(session: Session, data: Mapping[str, Any]) -> VersionCheck:
    """Store version N of an order only on top of N-1 (version 1 on no row)."""
    return _REPLICA.apply(session, uuid.UUID(str(data["id"])), _columns(data))


def facts(order: Order) -> OrderFacts:
    """The replica row as the domain sees it."""
    return OrderFacts(
        id=order.id,
        user_id=order.user_id,
        status=order.status,
        expires_at=order.expires_at,
        price_cents=order.price_cents,
        currency=order.currency,
        reason=order.reason,
    )


def find_order(session: Session, order_id: uuid.UUID) -> OrderFacts | None:
    """The order as the replica has it, or None when it has not arrived (yet)."""
    order = session.get(Order, order_id)
    return None if order is None else facts(order)


def lock_order(session: Session, order_id: uuid.UUID) -> OrderFacts | None:
    """Read the order and hold it until commit, so no orders.cancelled slips in unseen."""
    # A success applied under this share lock and a cancellation applied to the replica
    # (which updates the row) are serialised: whichever commits second sees the other, so
    # exactly one of them decides the refund.
    order = session.scalars(
        select(Order)
        .where(Order.id == order_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).one_or_none()
    return None if order is None else facts(order)
