"""What orders do when the rest of the saga reports in: expiry and successful payment."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from api.orders.domain import EXPIRED
from api.orders.lifecycle import transition
from api.orders.models import Order
from api.orders.state import OrderStatus
from common.clock import Clock


def expire(session: Session, order_id: uuid.UUID, clock: Clock) -> Order | None:
    """Cancel the order if it is still unpaid; None when it was complete, cancelled or unknown."""
    return transition(session, order_id, OrderStatus.CANCELLED, clock, reason=EXPIRED)


def complete(session: Session, order_id: uuid.UUID, clock: Clock) -> Order | None:
    """Complete the order once paid; None when it was already complete, cancelled or unknown."""
    return transition(session, order_id, OrderStatus.COMPLETE, clock)
