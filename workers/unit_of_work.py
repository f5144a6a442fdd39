"""The idempotent unit of work of a consumer: handler outcomes and handle_message."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from common.db import Database
from common.events.envelope import Envelope
from common.outbox import OutboxTables


class Outcome(Enum):
    """What a handler did with an event."""

    APPLIED = "applied"
    IGNORED = "ignored"
    RETRY_LATER = "retry_later"


Handler = Callable[[Session, Envelope], Outcome]


class _RetryLater(Exception):
    """Internal: roll the unit of work back because the event came too early."""


def _mark_processed(session: Session, tables: OutboxTables, envelope: Envelope) -> bool:
    """Claim the event id in the processed table; False when it was processed already."""
    claimed = session.execute(
        insert(tables.processed)
        .values(event_id=envelope.id, event_type=envelope.type)
        .on_conflict_do_nothing(index_elements=[tables.processed.c.event_id])
        .returning(tables.processed.c.event_id)
    ).first()
    return claimed is not None


def handle_message(
    db: Database, tables: OutboxTables, handlers: Mapping[str, Handler], envelope: Envelope
) -> Outcome:
    """Run the handler in one transaction with the processed mark (idempotent: by event id)."""
    handler = handlers.get(envelope.type)
    if handler is None:
        return Outcome.IGNORED
    try:
        with db.transaction() as session:
            if not _mark_processed(session, tables, envelope):
                return Outcome.IGNORED
            outcome = handler(session, envelope)
            if outcome is Outcome.RETRY_LATER:
                raise _RetryLater
            return outcome
    except _RetryLater:
        return Outcome.RETRY_LATER


def was_processed(db: Database, tables: OutboxTables, envelope: Envelope) -> bool:
    """Whether the event's id is recorded as processed by this service."""
    with db.transaction() as session:
        found = session.execute(
            sa.select(tables.processed.c.event_id).where(tables.processed.c.event_id == envelope.id)
        ).first()
    return found is not None
