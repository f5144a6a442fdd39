"""Which platform events integrators receive, in what shape, and when a delivery is retried."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from common.clock import isoformat_z
from common.events.catalogue import (
    ORDER_CANCELLED,
    ORDER_COMPLETED,
    ORDER_CREATED,
    PAYMENT_REFUNDED,
    TICKET_UPDATED,
)
from common.events.envelope import Envelope
from common.money import format_cents

ORDER_CREATED_OUT = "order.created"
ORDER_COMPLETED_OUT = "order.completed"
ORDER_CANCELLED_OUT = "order.cancelled"
TICKET_SOLD_OUT = "ticket.sold"
PAYMENT_REFUNDED_OUT = "payment.refunded"
PUBLIC_EVENTS: tuple[str, ...] = (
    ORDER_CREATED_OUT,
    ORDER_COMPLETED_OUT,
    ORDER_CANCELLED_OUT,
    TICKET_SOLD_OUT,
    PAYMENT_REFUNDED_OUT,
)
_ORDER_EVENTS = {
    ORDER_CREATED: ORDER_CREATED_OUT,
    ORDER_COMPLETED: ORDER_COMPLETED_OUT,
    ORDER_CANCELLED: ORDER_CANCELLED_OUT,
}
# A ticket is sold once, but every later snapshot of it says sold=true: the integrator's
# ticket.sold takes an id derived from the ticket, so each endpoint gets it once.
_TICKET_SOLD_IDS = uuid.UUID("5d0b5c1e-4f57-4e8a-9b1c-7a3e2f6d8c41")
# Retries after the 1st, 2nd, ... failed attempt, as multiples of the base delay (30 s by
# default): 30 s, 2.5 min, 10 min, 30 min, 1 h, 2 h, then every 4 h until a day has passed.
BACKOFF_STEPS = (1, 5, 20, 60, 120, 240, 480)


@dataclass(frozen=True)
class PublicEvent:
    """An event as an integrator receives it, and whose it is (a user, or an order's buyer)."""

    id: uuid.UUID
    type: str
    body: str
    owner_id: uuid.UUID | None
    order_id: uuid.UUID | None = None


def public_event(envelope: Envelope) -> PublicEvent | None:
    """The integrator's view of a platform event; None for events they do not receive."""
    data = envelope.data
    if envelope.type in _ORDER_EVENTS:
        body = _order(data)
        return PublicEvent(
            envelope.id,
            _ORDER_EVENTS[envelope.type],
            _body(envelope, _ORDER_EVENTS[envelope.type], body),
            uuid.UUID(str(data["userId"])),
        )
    if envelope.type == TICKET_UPDATED and data.get("sold") is True:
        sold_id = uuid.uuid5(_TICKET_SOLD_IDS, str(data["id"]))
        return PublicEvent(
            sold_id,
            TICKET_SOLD_OUT,
            _body(envelope, TICKET_SOLD_OUT, _ticket(data), sold_id),
            uuid.UUID(str(data["sellerId"])),
        )
    if envelope.type == PAYMENT_REFUNDED:
        return PublicEvent(
            envelope.id,
            PAYMENT_REFUNDED_OUT,
            _body(envelope, PAYMENT_REFUNDED_OUT, _refund(data)),
            None,
            uuid.UUID(str(data["orderId"])),
        )
    return None


def _body(
    envelope: Envelope, event_type: str, data: dict[str, Any], event_id: uuid.UUID | None = None
) -> str:
    return json.dumps(
        {
            "id": str(event_id or envelope.id),
            "type": event_type,
            "createdAt": isoformat_z(envelope.occurred_at),
            "data": data,
        }
    )


def _order(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(data["id"]),
        "status": data["status"],
        "ticketId": str(data["ticketId"]),
        "userId": str(data["userId"]),
        "price": format_cents(int(data["priceCents"])),
        "currency": data["currency"],
        "expiresAt": data["expiresAt"],
        "reason": data.get("reason"),
        "version": data["version"],
    }


def _ticket(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(data["id"]),
        "title": data["title"],
        "price": format_cents(int(data["priceCents"])),
        "currency": data["currency"],
        "sellerId": str(data["sellerId"]),
        "orderId": str(data["orderId"]) if data.get("orderId") else None,
        "status": "sold",
        "version": data["version"],
    }


def _refund(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(data["id"]),
        "orderId": str(data["orderId"]),
        "stripeId": data["stripeId"],
        "amount": format_cents(int(data["amountCents"])),
        "currency": data["currency"],
        "reason": data["reason"],
    }


def retry_delay(failed_attempts: int, base: timedelta) -> timedelta:
    """How long to wait after the n-th failed attempt."""
    step = BACKOFF_STEPS[min(failed_attempts, len(BACKOFF_STEPS)) - 1]
    return base * step
