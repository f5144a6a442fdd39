"""Use cases of the orders API; each runs in one database transaction."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.orders import saga
from api.orders.domain import (
    TicketFacts,
    TicketReserved,
    TicketSold,
    ensure_orderable,
    expiry,
)
from api.orders.fair_share import too_many_live_orders
from api.orders.models import LIVE, ORDERS, TICKETS, UNPAID, Order, OrderStep
from api.orders.reactions import Effect, react, reserved
from api.orders.repository import record_created
from api.orders.state import IllegalTransition, OrderStatus, ensure_transition
from api.orders.timeline import timeline_of
from common.clock import Clock
from common.db import Database
from common.errors import FieldError, Forbidden, NotFound
from common.pagination import Cursor, Page, decode_cursor

LIVE_TICKET_INDEX = "uq_orders_live_ticket"

# Built once, on tables rather than entities: order creation is the hot path, and building
# statements (or the ORM's compile step) per call costs more CPU than running them.
_HOLDER = select(ORDERS.c.status).where(ORDERS.c.ticket_id == TICKETS.c.id, LIVE).scalar_subquery()
TICKET_AND_HOLDER = select(
    TICKETS.c.id,
    TICKETS.c.title,
    TICKETS.c.price_cents,
    TICKETS.c.currency,
    TICKETS.c.seller_id,
    TICKETS.c.sold,
    _HOLDER.label("holder"),
).where(TICKETS.c.id == bindparam("ticket_id"))
INSERT_ORDER = insert(ORDERS)
# One buyer's reservations take turns (a transaction-scoped advisory lock on the buyer), so
# the count of their unpaid orders below cannot be read by two of them at once: at the cap,
# two simultaneous attempts see each other and only one wins. The two-key form keeps these
# locks apart from the relay's one-key session lock.
BUYER_LOCK_CLASS = 0x0B17
LOCK_BUYER = text("SELECT pg_advisory_xact_lock(:lock_class, :buyer_key)")
UNPAID_OF_BUYER = select(func.count(), func.min(ORDERS.c.expires_at)).where(
    ORDERS.c.user_id == bindparam("user_id"), UNPAID
)


@dataclass(frozen=True)
class TrackedOrder:
    """An order and its timeline, oldest entry first."""

    order: Order
    steps: list[OrderStep]


class OrderService:
    """Create, list, show and cancel a buyer's orders."""

    def __init__(
        self, db: Database, clock: Clock, lifetime_seconds: int, max_live_per_buyer: int = 0
    ) -> None:
        self.db, self.clock, self.lifetime_seconds = db, clock, lifetime_seconds
        self.max_live_per_buyer = max_live_per_buyer

    def create(self, buyer_id: uuid.UUID, ticket_id: uuid.UUID) -> Order:
        """Reserve the ticket for the buyer; the unique index settles concurrent buyers."""
        try:
            with self.db.transaction() as session:
                if self.max_live_per_buyer:
                    session.execute(
                        LOCK_BUYER, {"lock_class": BUYER_LOCK_CLASS, "buyer_key": _key(buyer_id)}
                    )
                # The ticket and the status of the live order holding it, in one round trip.
                ticket = session.execute(TICKET_AND_HOLDER, {"ticket_id": ticket_id}).first()
                if ticket is None:
                    raise NotFound(
                        "No ticket with this id.", [FieldError("Unknown ticket.", "ticketId")]
                    )
                facts = TicketFacts(ticket.id, ticket.seller_id, ticket.sold)
                ensure_orderable(facts, buyer_id, ticket.holder)
                now = self.clock.now()
                if self.max_live_per_buyer:
                    self._ensure_under_cap(session, buyer_id, now)
                order = Order(
                    id=uuid.uuid4(),
                    ticket_id=ticket.id,
                    user_id=buyer_id,
                    status=OrderStatus.CREATED,
                    version=1,
                    ticket_title=ticket.title,
                    price_cents=ticket.price_cents,
                    currency=ticket.currency,
                    reason=None,
                    reason_detail=None,
                    expires_at=expiry(now, self.lifetime_seconds),
                    created_at=now,
                    updated_at=now,
                )
                # A Core insert: the ORM unit of work would double this use case's CPU time.
                session.execute(INSERT_ORDER, _row(order))
                record_created(session, order, self.clock)
                reserved(session, order)
        except IntegrityError as exc:
            if _constraint(exc) != LIVE_TICKET_INDEX:
                raise
            with self.db.transaction() as session:
                winner = _live_status(session, ticket_id)
            raise (TicketSold() if winner is OrderStatus.COMPLETE else TicketReserved()) from exc
        return order

    def _ensure_under_cap(self, session: Session, buyer_id: uuid.UUID, now: datetime) -> None:
        """429 when the buyer holds the most unpaid orders allowed (read under the buyer lock)."""
        held, first_expiry = session.execute(UNPAID_OF_BUYER, {"user_id": buyer_id}).one()
        if held >= self.max_live_per_buyer:
            # The earliest of their orders frees a slot when it expires (if not paid first).
            wait = (first_expiry - now).total_seconds() if first_expiry else 1
            raise too_many_live_orders(self.max_live_per_buyer, math.ceil(wait))

    def list_mine(self, user_id: uuid.UUID, limit: int, cursor: str | None) -> Page[Order]:
        """The user's orders, newest first, `limit` at a time."""
        query = select(Order).where(Order.user_id == user_id)
        if cursor:
            after = decode_cursor(cursor)
            query = query.where(tuple_(Order.created_at, Order.id) < (after.created_at, after.id))
        query = query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit + 1)
        with self.db.transaction() as session:
            orders = list(session.scalars(query))
        if len(orders) <= limit:
            return Page(orders, None)
        last = orders[limit - 1]
        return Page(orders[:limit], Cursor(last.created_at, last.id).encode())

    def get_mine(self, user_id: uuid.UUID, order_id: uuid.UUID) -> TrackedOrder:
        """One of the user's orders with its timeline: 404 when unknown, 403 when someone else's."""
        with self.db.transaction() as session:
            order = _owned(session, user_id, order_id)
            return TrackedOrder(order, timeline_of(session, order_id))

    def cancel(self, user_id: uuid.UUID, order_id: uuid.UUID) -> TrackedOrder:
        """The buyer gives up an unpaid order (saga step `cancel`); 409 once it is finished."""
        with self.db.transaction() as session:
            order = _owned(session, user_id, order_id)
            ensure_transition(order.status, OrderStatus.CANCELLED)
            reaction = react(session, saga.CANCEL, order_id, self.clock)
            if reaction.effect is not Effect.MOVED or reaction.order is None:
                # Paid or cancelled by another transaction since it was read above.
                current = session.scalar(select(Order.status).where(Order.id == order_id))
                raise IllegalTransition(current or order.status, OrderStatus.CANCELLED)
            return TrackedOrder(reaction.order, timeline_of(session, order_id))


def _owned(session: Session, user_id: uuid.UUID, order_id: uuid.UUID) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("No order with this id.")
    if order.user_id != user_id:
        raise Forbidden("This order belongs to someone else.")
    return order


def _key(buyer_id: uuid.UUID) -> int:
    """A 32-bit advisory lock key of the buyer (a collision only makes two buyers take turns)."""
    return int.from_bytes(buyer_id.bytes[:4], "big", signed=True)


def _row(order: Order) -> dict[str, Any]:
    return {column.key: getattr(order, column.key) for column in ORDERS.columns}


def _live_status(session: Session, ticket_id: uuid.UUID) -> OrderStatus | None:
    """The status of the order holding the ticket, if any (the orders table is the truth)."""
    return session.scalar(select(Order.status).where(Order.ticket_id == ticket_id, LIVE))


def _constraint(error: IntegrityError) -> str | None:
    diag = getattr(error.orig, "diag", None)
    return getattr(diag, "constraint_name", None)
