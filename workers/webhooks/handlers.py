"""Platform events the webhooks service consumes: each becomes deliveries to endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.webhooks.domain import PublicEvent, public_event
from api.webhooks.models import Delivery, Endpoint, OrderOwner
from common.clock import Clock, SystemClock
from common.events.catalogue import (
    ORDER_CANCELLED,
    ORDER_COMPLETED,
    ORDER_CREATED,
    PAYMENT_REFUNDED,
    TICKET_UPDATED,
)
from common.events.envelope import Envelope
from workers.consumers import Handler, Outcome


def make_handlers(clock: Clock, retry_for: timedelta = timedelta(days=1)) -> dict[str, Handler]:
    """The handler table: every event an integrator may receive."""

    def on_event(session: Session, envelope: Envelope) -> Outcome:
        """One delivery per subscribed endpoint; idempotent: one row per (endpoint, event)."""
        if envelope.type in {ORDER_CREATED, ORDER_COMPLETED, ORDER_CANCELLED}:
            _remember_owner(session, envelope)
        event = public_event(envelope)
        if event is None:
            return Outcome.IGNORED
        owner = event.owner_id
        if owner is None and event.order_id is not None:
            owner = session.scalar(
                sa.select(OrderOwner.user_id).where(OrderOwner.order_id == event.order_id)
            )
            if owner is None:
                return Outcome.RETRY_LATER  # orders.created has not reached us yet
        if owner is None:
            return Outcome.IGNORED
        _record_deliveries(session, event, owner, clock.now(), retry_for)
        return Outcome.APPLIED

    return {
        ORDER_CREATED: on_event,
        ORDER_COMPLETED: on_event,
        ORDER_CANCELLED: on_event,
        TICKET_UPDATED: on_event,
        PAYMENT_REFUNDED: on_event,
    }


def _remember_owner(session: Session, envelope: Envelope) -> None:
    statement = insert(OrderOwner).values(
        order_id=uuid.UUID(str(envelope.data["id"])),
        user_id=uuid.UUID(str(envelope.data["userId"])),
    )
    session.execute(statement.on_conflict_do_nothing(index_elements=["order_id"]))


def _record_deliveries(
    session: Session, event: PublicEvent, owner: uuid.UUID, now: datetime, retry_for: timedelta
) -> None:
    endpoints = session.scalars(
        sa.select(Endpoint.id).where(
            Endpoint.user_id == owner, Endpoint.events.contains([event.type])
        )
    ).all()
    if not endpoints:
        return
    rows = [
        {
            "id": uuid.uuid4(),
            "endpoint_id": endpoint_id,
            "event_id": event.id,
            "event_type": event.type,
            "payload": event.body,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "give_up_at": now + retry_for,
            "created_at": now,
            "updated_at": now,
        }
        for endpoint_id in endpoints
    ]
    session.execute(
        insert(Delivery)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
    )


HANDLERS: dict[str, Handler] = make_handlers(SystemClock())
