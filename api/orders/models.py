"""Tables of the orders service: orders and their timeline, the tickets replica, the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Identity,
    Index,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.elements import TextClause

from api.orders.state import LIVE_STATUSES, UNPAID_STATUSES, OrderStatus
from common.db import TYPE_ANNOTATION_MAP, service_metadata
from common.outbox import add_outbox_tables


class Base(DeclarativeBase):
    """Declarative base of the orders database."""

    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


def _status_in(statuses: frozenset[OrderStatus]) -> TextClause:
    return text("status IN (" + ", ".join(f"'{s.value}'" for s in sorted(statuses)) + ")")


# Queries use these very predicates so the planner can pick the partial indexes below.
LIVE = _status_in(LIVE_STATUSES)
UNPAID = _status_in(UNPAID_STATUSES)


class Order(Base):
    """A buyer's claim on one ticket, at the price it had when ordered."""

    __tablename__ = "orders"
    __table_args__ = (
        # The one-live-order-per-ticket rule lives here, not in Python.
        Index("uq_orders_live_ticket", "ticket_id", unique=True, postgresql_where=LIVE),
        Index("ix_orders_user_newest", "user_id", text("created_at DESC"), text("id DESC")),
        Index("ix_orders_unpaid_expires_at", "expires_at", postgresql_where=UNPAID),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("price_cents > 0", name="price_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    status: Mapped[OrderStatus] = mapped_column(
        Enum(
            OrderStatus,
            native_enum=False,
            create_constraint=True,
            name="order_status",
            length=20,
            values_callable=lambda statuses: [s.value for s in statuses],
        ),
    )
    version: Mapped[int]
    ticket_title: Mapped[str] = mapped_column(String)
    price_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(String(64))
    reason_detail: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


ORDERS: Table = Order.__table__  # type: ignore[assignment]  # __table__ is typed FromClause


class OrderStep(Base):
    """One entry of an order's timeline, written in the transaction of what it tells."""

    __tablename__ = "order_steps"
    __table_args__ = (
        Index("ix_order_steps_order", "order_id", "id"),
        CheckConstraint(
            "outcome IN ('ok', 'failed', 'skipped', 'compensated')", name="outcome_known"
        ),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int]
    at: Mapped[datetime]
    detail: Mapped[str | None] = mapped_column(Text)


ORDER_STEPS: Table = OrderStep.__table__  # type: ignore[assignment]  # __table__ is typed FromClause


class Ticket(Base):
    """The orders service's copy of a ticket, built from tickets.created/updated events."""

    __tablename__ = "tickets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String)
    price_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    seller_id: Mapped[uuid.UUID]
    sold: Mapped[bool]
    order_id: Mapped[uuid.UUID | None]


TICKETS: Table = Ticket.__table__  # type: ignore[assignment]  # __table__ is typed FromClause

OUTBOX = add_outbox_tables(Base.metadata)
