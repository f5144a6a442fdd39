"""Tables of the tickets database: tickets, orders that are over, and the event outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Table, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from api.tickets.domain import MAX_TITLE_LENGTH, Reservation
from common.db import TYPE_ANNOTATION_MAP, service_metadata
from common.money import DEFAULT_CURRENCY, MAX_CENTS
from common.outbox import add_outbox_tables


class Base(DeclarativeBase):
    """Declarative base of the tickets database."""

    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class Ticket(Base):
    """A ticket a seller lists; an order may lock it, and a completed order buys it."""

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(f"price_cents > 0 AND price_cents <= {MAX_CENTS}", name="price_range"),
        CheckConstraint("NOT sold OR order_id IS NOT NULL", name="sold_has_order"),
        CheckConstraint("version >= 1", name="version_positive"),
        # The public list: available tickets, newest first (keyset on created_at, id).
        Index(
            "ix_tickets_available_newest",
            text("created_at DESC"),
            text("id DESC"),
            postgresql_where=text("order_id IS NULL AND NOT sold"),
        ),
        # A seller's tickets in every status, newest first.
        Index("ix_tickets_seller_newest", "seller_id", text("created_at DESC"), text("id DESC")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(MAX_TITLE_LENGTH))
    price_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY)
    seller_id: Mapped[uuid.UUID]
    order_id: Mapped[uuid.UUID | None]
    sold: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @property
    def reservation(self) -> Reservation:
        return Reservation(self.order_id, self.sold)


# Core statements on the consumer's hot path read and write the table, not the mapped class:
# the ORM's identity map and bulk-update machinery cost ~0.4 ms of CPU per locked ticket.
TICKETS: Table = Ticket.__table__  # type: ignore[assignment]  # __table__ is typed FromClause


@dataclass(frozen=True, slots=True)
class TicketRow:
    """A row of the tickets table, as a Core statement returns it (no ORM object)."""

    id: uuid.UUID
    title: str
    price_cents: int
    currency: str
    seller_id: uuid.UUID
    order_id: uuid.UUID | None
    sold: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def reservation(self) -> Reservation:
        return Reservation(self.order_id, self.sold)


# What is read of a ticket: the mapped object, or a row a Core statement returned.
TicketFields = Ticket | TicketRow


class ClosedOrder(Base):
    """An order known to be cancelled or complete, so a late orders.created never locks."""

    __tablename__ = "closed_orders"

    order_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    closed_at: Mapped[datetime]


OUTBOX = add_outbox_tables(Base.metadata)
