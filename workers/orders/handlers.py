"""Events the orders service consumes, each mapped to one handler (the HANDLERS table).

The saga's event-triggered steps come from `api.orders.saga.EVENT_STEPS`: one handler per
step, applying it through `reactions.react`. Only the tickets replica is handled apart.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.orders import saga
from api.orders.reactions import Effect, cancel_repriced, react
from api.orders.replica import apply_ticket_snapshot
from api.orders.saga import Step
from common.clock import Clock, SystemClock
from common.events.catalogue import TICKET_CREATED, TICKET_UPDATED
from common.events.envelope import Envelope
from common.events.versions import VersionCheck
from workers.consumers import Handler, Outcome

log = logging.getLogger(__name__)

_OUTCOME_OF_VERSION = {
    VersionCheck.APPLY: Outcome.APPLIED,
    VersionCheck.STALE: Outcome.IGNORED,
    VersionCheck.AHEAD: Outcome.RETRY_LATER,
}
_ASYNCHRONOUS_COMMIT = text("SET LOCAL synchronous_commit = off")
_OUTCOME_OF_EFFECT = {
    Effect.MOVED: Outcome.APPLIED,
    Effect.NOTED: Outcome.APPLIED,
    Effect.NOTHING: Outcome.IGNORED,
}


def ticket_snapshot_handler(clock: Clock) -> Handler:
    """The handler of tickets.created/updated, with the clock that stamps cancellations."""

    def on_ticket_snapshot(session: Session, event: Envelope) -> Outcome:
        """Apply the snapshot to the replica; idempotent: version N only on N-1.

        A new price ends the unpaid orders made at the old one (the seller edited the
        ticket before its lock for them reached tickets, which then refused that lock).
        """
        check = apply_ticket_snapshot(session, event.data)
        if check is VersionCheck.APPLY:
            for order in cancel_repriced(session, event.data, clock):
                log.warning(
                    "order %s cancelled: ticket %s was repriced before its lock",
                    order.id,
                    order.ticket_id,
                )
        return _OUTCOME_OF_VERSION[check]

    return on_ticket_snapshot


def step_handler(step: Step, clock: Clock) -> Handler:
    """The handler of one saga step triggered by an event."""
    # An expiry whose commit a database crash loses (not yet flushed) is redone by the sweep,
    # so it need not wait for the flush: the handler keeps up with bursts of expiries.
    relaxed_commit = step is saga.EXPIRE

    def handle(session: Session, event: Envelope) -> Outcome:
        """Apply the step; idempotent: only an order in one of its source statuses moves."""
        if relaxed_commit:
            session.execute(_ASYNCHRONOUS_COMMIT)
        order_id = uuid.UUID(str(event.data["orderId"]))
        reaction = react(session, step, order_id, clock, saga.facts_of(event.data))
        if reaction.effect is Effect.NOTHING:
            log.info(
                "%s for order %s changed nothing (done already, moved on, or unknown)",
                event.type,
                order_id,
            )
        return _OUTCOME_OF_EFFECT[reaction.effect]

    handle.__name__ = f"on_{step.trigger.replace('.', '_')}"
    return handle


def make_handlers(clock: Clock) -> dict[str, Handler]:
    """The handler table, with the clock that stamps the orders' transitions."""
    on_ticket_snapshot = ticket_snapshot_handler(clock)
    handlers: dict[str, Handler] = {
        TICKET_CREATED: on_ticket_snapshot,
        TICKET_UPDATED: on_ticket_snapshot,
    }
    handlers.update(
        {event_type: step_handler(step, clock) for event_type, step in saga.EVENT_STEPS.items()}
    )
    return handlers


HANDLERS: dict[str, Handler] = make_handlers(SystemClock())
