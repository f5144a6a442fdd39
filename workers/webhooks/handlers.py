"""Platform events the webhooks service consumes: each becomes deliveries to endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.webhooks.domain import PublicEvent, public_event
from api.webhooks.models import ORDER_OWNERS, Delivery, Endpoint, OrderOwner
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

# Built once: the consumer runs them for every order and ticket event, and building them
# per event cost more CPU than the rest of its work on it (bench/PROFILE.md). The insert is
# on the table, not the mapped class: the ORM's bulk-insert path cost ~95 µs more per row.
_REMEMBER_OWNER = (
    insert(ORDER_OWNERS)
    .values(order_id=sa.bindparam("owned_order"), user_id=sa.bindparam("owner"))
    .on_conflict_do_nothing(index_elements=["order_id"])
)
_OWNER_OF_ORDER = sa.select(OrderOwner.user_id).where(
    OrderOwner.order_id == sa.bindparam("owned_order")
)
_SUBSCRIBED = sa.select(Endpoint.id).where(
    Endpoint.user_id == sa.bindparam("owner"),
    Endpoint.events.contains(sa.bindparam("event_types", type_=Endpoint.events.type)),
)


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
            owner = session.scalar(_OWNER_OF_ORDER, {"owned_order": event.order_id})
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
    owned = {
        "owned_order": uuid.UUID(str(envelope.data["id"])),
        "owner": uuid.UUID(str(envelope.data["userId"])),
    }
    session.execute(_REMEMBER_OWNER, owned)


def _record_deliveries(
    session: Session, event: PublicEvent, owner: uuid.UUID, now: datetime, retry_for: timedelta
) -> None:
    subscribed = {"owner": owner, "event_types": [event.type]}
    endpoints = session.scalars(_SUBSCRIBED, subscribed).all()
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
