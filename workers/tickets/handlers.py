"""Order events that lock, unlock and sell tickets, as a table of handlers.

Each handler runs in the consumer's transaction, after the event id was claimed in
processed_events (a redelivered event never reaches it); each is also safe to run again,
as its docstring says.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session

from api.tickets import reservations
from api.tickets.domain import Verdict
from api.tickets.reservations import OrderFacts
from common.clock import Clock, SystemClock
from common.events.catalogue import ORDER_CANCELLED, ORDER_COMPLETED, ORDER_CREATED
from common.events.envelope import Envelope
from workers.consumers import Handler, Outcome

SYSTEM_CLOCK = SystemClock()
UseCase = Callable[[Session, OrderFacts, Clock], Verdict]

OUTCOMES = {
    Verdict.CHANGED: Outcome.APPLIED,
    Verdict.UNCHANGED: Outcome.IGNORED,
    Verdict.LATER: Outcome.RETRY_LATER,
    Verdict.REFUSED: Outcome.IGNORED,  # logged as an error by the use case
}


def _facts(envelope: Envelope) -> OrderFacts:
    return OrderFacts(
        order_id=uuid.UUID(str(envelope.data["id"])),
        ticket_id=uuid.UUID(str(envelope.data["ticketId"])),
        price_cents=int(envelope.data["priceCents"]),
        currency=str(envelope.data["currency"]),
    )


def _run(use_case: UseCase, session: Session, envelope: Envelope, clock: Clock) -> Outcome:
    return OUTCOMES[use_case(session, _facts(envelope), clock)]


def on_order_created(session: Session, envelope: Envelope, clock: Clock = SYSTEM_CLOCK) -> Outcome:
    """Lock the ticket; re-run it is a no-op (same order), and a closed order never locks."""
    return _run(reservations.order_created, session, envelope, clock)


def on_order_cancelled(
    session: Session, envelope: Envelope, clock: Clock = SYSTEM_CLOCK
) -> Outcome:
    """Unlock if this order holds the ticket; re-run it finds the ticket no longer held by it."""
    return _run(reservations.order_cancelled, session, envelope, clock)


def on_order_completed(
    session: Session, envelope: Envelope, clock: Clock = SYSTEM_CLOCK
) -> Outcome:
    """Mark the ticket sold; re-run it finds it already sold to this order."""
    return _run(reservations.order_completed, session, envelope, clock)


HANDLERS: dict[str, Handler] = {
    ORDER_CREATED: on_order_created,
    ORDER_CANCELLED: on_order_cancelled,
    ORDER_COMPLETED: on_order_completed,
}
