"""Tables of the payments service: the orders replica, payments, Stripe events, the outbox."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, Index, String, Table, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.elements import TextClause

from api.payments.domain import LIVE_STATUSES, OrderStatus, PaymentStatus
from common.db import TYPE_ANNOTATION_MAP, service_metadata
from common.outbox import add_outbox_tables


class Base(DeclarativeBase):
    """Declarative base of the payments database."""

    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


def _status_in(statuses: frozenset[PaymentStatus]) -> TextClause:
    return text("status IN (" + ", ".join(f"'{s.value}'" for s in sorted(statuses)) + ")")


def _status_enum(kind: type[enum.StrEnum], name: str) -> Enum:
    return Enum(
        kind,
        native_enum=False,
        create_constraint=True,
        name=name,
        length=20,
        values_callable=lambda statuses: [s.value for s in statuses],
    )


# The insert's ON CONFLICT names this very predicate so PostgreSQL infers the partial index.
LIVE = _status_in(LIVE_STATUSES)
PENDING = _status_in(frozenset({PaymentStatus.PENDING}))
SUCCEEDED = _status_in(frozenset({PaymentStatus.SUCCEEDED}))


class Order(Base):
    """The payments service's copy of an order, built from orders.* snapshots."""

    __tablename__ = "orders"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int]
    status: Mapped[OrderStatus] = mapped_column(_status_enum(OrderStatus, "order_status"))
    ticket_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    expires_at: Mapped[datetime]
    price_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(String(500))


ORDERS: Table = Order.__table__  # type: ignore[assignment]  # __table__ is typed FromClause


class Payment(Base):
    """One attempt to pay an order through Stripe; the row is the record of every step."""

    __tablename__ = "payments"
    __table_args__ = (
        # One payment per order: a repeated or concurrent request finds it instead of charging.
        Index("uq_payments_live_order", "order_id", unique=True, postgresql_where=LIVE),
        Index("ix_payments_user_order", "user_id", "order_id"),
        # The reconciler's lookups: charges that may be stuck, charges that may need a refund.
        Index("ix_payments_pending_attempted_at", "attempted_at", postgresql_where=PENDING),
        Index("ix_payments_succeeded_order", "order_id", postgresql_where=SUCCEEDED),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    status: Mapped[PaymentStatus] = mapped_column(_status_enum(PaymentStatus, "payment_status"))
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    payment_method: Mapped[str] = mapped_column(String(255))
    stripe_id: Mapped[str | None] = mapped_column(String(255))
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int]
    # The last time a charge was attempted or scheduled: the reconciler's clock for stuck ones.
    attempted_at: Mapped[datetime]
    refund_id: Mapped[str | None] = mapped_column(String(255))
    refund_reason: Mapped[str | None] = mapped_column(String(500))
    refund_requested_at: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]
    # The request that started the payment: its events carry it when no request is in hand.
    correlation_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int]


PAYMENTS: Table = Payment.__table__  # type: ignore[assignment]  # __table__ is typed FromClause


class StripeEvent(Base):
    """A Stripe webhook event already applied: a redelivery of its id changes nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime]


OUTBOX = add_outbox_tables(Base.metadata)
