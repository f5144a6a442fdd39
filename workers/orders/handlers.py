"""Events the orders service consumes, each mapped to one handler (the HANDLERS table)."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.orm import Session

from api.orders import reactions
from api.orders.replica import apply_ticket_snapshot
from common.clock import Clock, SystemClock
from common.events.catalogue import (
    EXPIRATION_COMPLETED,
    PAYMENT_CREATED,
    TICKET_CREATED,
    TICKET_UPDATED,
)
from common.events.envelope import Envelope
from common.events.versions import VersionCheck
from workers.consumers import Handler, Outcome

log = logging.getLogger(__name__)

_OUTCOME_OF_VERSION = {
    VersionCheck.APPLY: Outcome.APPLIED,
    VersionCheck.STALE: Outcome.IGNORED,
    VersionCheck.AHEAD: Outcome.RETRY_LATER,
}


def on_ticket_snapshot(session: Session, event: Envelope) -> Outcome:
    """Apply tickets.created/updated to the replica; idempotent: version N only on N-1."""
    return _OUTCOME_OF_VERSION[apply_ticket_snapshot(session, event.data)]


def make_handlers(clock: Clock) -> dict[str, Handler]:
    """The handler table, with the clock that stamps the orders' transitions."""

    def on_expiration_completed(session: Session, event: Envelope) -> Outcome:
        """Cancel the order if unpaid; idempotent: only an unpaid order matches the update."""
        order_id = uuid.UUID(str(event.data["orderId"]))
        if reactions.expire(session, order_id, clock) is None:
            log.info("expiry of order %s changed nothing (paid, cancelled or unknown)", order_id)
            return Outcome.IGNORED
        return Outcome.APPLIED

    def on_payment_created(session: Session, event: Envelope) -> Outcome:
        """Complete the paid order; idempotent: only an unpaid order matches the update."""
        order_id = uuid.UUID(str(event.data["orderId"]))
        if reactions.complete(session, order_id, clock) is None:
            log.warning(
                "payment %s for order %s did not complete it (cancelled, complete or unknown)",
                event.data.get("id"),
                order_id,
            )
            return Outcome.IGNORED
        return Outcome.APPLIED

    return {
        TICKET_CREATED: on_ticket_snapshot,
        TICKET_UPDATED: on_ticket_snapshot,
        EXPIRATION_COMPLETED: on_expiration_completed,
        PAYMENT_CREATED: on_payment_created,
    }


HANDLERS: dict[str, Handler] = make_handlers(SystemClock())
