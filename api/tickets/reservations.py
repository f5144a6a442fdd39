"""What order events do to tickets, inside the caller's transaction.

Tickets does not replicate orders, so events are applied by meaning, not by order version.
Reordering is handled with `closed_orders`: a cancelled or completed order is remembered
there, and an orders.created for a remembered order never locks. Every use case first locks
the ticket row, so events about the same ticket (delivered by different consumers at once)
are applied one after the other and each sees what the previous one committed.
"""

from __future__ import annotations

import enum
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.tickets import domain, repository
from api.tickets.domain import Transition, Verdict
from api.tickets.models import ClosedOrder, TicketRow
from common.clock import Clock

log = logging.getLogger(__name__)

# Built once: every order event runs them.
_CLOSED = select(exists().where(ClosedOrder.order_id == bindparam("order_id")))
_REMEMBER = insert(ClosedOrder).on_conflict_do_nothing(index_elements=[ClosedOrder.order_id])


class OrderOutcome(enum.StrEnum):
    """How an order ended, as remembered in closed_orders."""

    CANCELLED = "cancelled"
    COMPLETED = "completed"


@dataclass(frozen=True)
class OrderFacts:
    """What an order event tells tickets: which order, about which ticket, at what price."""

    order_id: uuid.UUID
    ticket_id: uuid.UUID
    price_cents: int | None = None
    currency: str | None = None


def order_created(session: Session, facts: OrderFacts, clock: Clock) -> Verdict:
    """Lock the ticket for the order, unless the order is already over."""
    ticket = repository.lock(session, facts.ticket_id)
    if ticket is None:
        return _missing(facts)
    closed = session.scalar(_CLOSED, {"order_id": facts.order_id})
    # The buyer pays the order's price: lock only a ticket that still shows that price.
    repriced = (facts.price_cents, facts.currency) != (ticket.price_cents, ticket.currency)
    transition = domain.lock(
        ticket.reservation, facts.order_id, order_closed=bool(closed), repriced=repriced
    )
    if repriced and not closed:
        log.warning(
            "lock refused: the order's price is not the ticket's (edited meanwhile)",
            extra={"ticketId": str(facts.ticket_id), "orderId": str(facts.order_id)},
        )
    return _apply(session, ticket, transition, facts, clock)


def order_cancelled(session: Session, facts: OrderFacts, clock: Clock) -> Verdict:
    """Unlock the ticket only if this order holds it (a stale cancel never frees another's)."""
    ticket = repository.lock(session, facts.ticket_id)
    _remember(session, facts, OrderOutcome.CANCELLED, clock)
    if ticket is None:
        return _missing(facts)
    return _apply(session, ticket, domain.unlock(ticket.reservation, facts.order_id), facts, clock)


def order_completed(session: Session, facts: OrderFacts, clock: Clock) -> Verdict:
    """Mark the ticket sold to the order (it keeps the order id)."""
    ticket = repository.lock(session, facts.ticket_id)
    _remember(session, facts, OrderOutcome.COMPLETED, clock)
    if ticket is None:
        return _missing(facts)
    return _apply(session, ticket, domain.sell(ticket.reservation, facts.order_id), facts, clock)


def _apply(
    session: Session, ticket: TicketRow, transition: Transition, facts: OrderFacts, clock: Clock
) -> Verdict:
    context = {
        "ticketId": str(facts.ticket_id),
        "orderId": str(facts.order_id),
        "reason": transition.reason,
    }
    if transition.verdict is Verdict.REFUSED:
        log.error("order event contradicts the ticket; ignored", extra=context)
    elif transition.verdict is Verdict.LATER:
        log.warning("order event must wait for another order's release", extra=context)
    if transition.verdict is not Verdict.CHANGED:
        return transition.verdict
    reservation = transition.reservation
    # The row is locked FOR UPDATE, so the version check cannot fail here.
    if (
        repository.save(
            session, ticket, clock, order_id=reservation.order_id, sold=reservation.sold
        )
        is None
    ):
        raise RuntimeError(f"ticket {ticket.id} changed under a row lock")
    return Verdict.CHANGED


def _remember(session: Session, facts: OrderFacts, outcome: OrderOutcome, clock: Clock) -> None:
    params = {
        "order_id": facts.order_id,
        "ticket_id": facts.ticket_id,
        "outcome": outcome.value,
        "closed_at": clock.now(),
    }
    session.execute(_REMEMBER, params)


def _missing(facts: OrderFacts) -> Verdict:
    log.error(
        "order event names an unknown ticket; ignored",
        extra={"ticketId": str(facts.ticket_id), "orderId": str(facts.order_id)},
    )
    return Verdict.REFUSED
