"""Events the payments service consumes, each mapped to one handler (the HANDLERS table)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from api.payments.compensation import refunds_for_cancelled_order
from api.payments.domain import OrderStatus
from api.payments.followups import BrokerDispatcher, Dispatcher, dispatch_after_commit
from api.payments.replica import apply_order_snapshot
from common.clock import Clock, SystemClock
from common.events.catalogue import ORDER_CANCELLED, ORDER_COMPLETED, ORDER_CREATED, ORDER_UPDATED
from common.events.envelope import Envelope
from common.events.versions import VersionCheck
from workers.broker import broker
from workers.consumers import Handler, Outcome

_OUTCOME_OF_VERSION = {
    VersionCheck.APPLY: Outcome.APPLIED,
    VersionCheck.STALE: Outcome.IGNORED,
    VersionCheck.AHEAD: Outcome.RETRY_LATER,
}


def make_handlers(clock: Clock, dispatcher: Dispatcher) -> dict[str, Handler]:
    """The handler table, with the clock that stamps refunds and where follow-ups go."""

    def on_order_snapshot(session: Session, event: Envelope) -> Outcome:
        """Apply orders.* and refund a cancelled order; idempotent: version N only on N-1."""
        # A refund is decided only for a payment still `succeeded` (its row locked), so a
        # redelivery decides nothing twice; it is sent to the workers only after the commit.
        verdict = apply_order_snapshot(session, event.data)
        if verdict is VersionCheck.APPLY and event.data["status"] == OrderStatus.CANCELLED:
            order_id = uuid.UUID(str(event.data["id"]))
            follow_ups = refunds_for_cancelled_order(
                session, order_id, event.data.get("reason"), clock
            )
            dispatch_after_commit(session, dispatcher, follow_ups)
        return _OUTCOME_OF_VERSION[verdict]

    return {
        ORDER_CREATED: on_order_snapshot,
        ORDER_UPDATED: on_order_snapshot,
        ORDER_CANCELLED: on_order_snapshot,
        ORDER_COMPLETED: on_order_snapshot,
    }


HANDLERS: dict[str, Handler] = make_handlers(SystemClock(), BrokerDispatcher(broker))
