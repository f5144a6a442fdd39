"""Writing an event into the outbox, inside the use case's own transaction."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common.events.envelope import Envelope
from common.outbox.tables import NOTIFY_CHANNEL, OutboxTables


def record(
    session: Session, tables: OutboxTables, event: Envelope, aggregate_id: uuid.UUID
) -> None:
    """Queue `event` for publishing: it exists if and only if the caller's transaction commits."""
    # Call it after writing (and so locking) the aggregate's row: that is what orders the
    # outbox sequence of one aggregate like its commits.
    session.execute(
        _record_statement(tables),
        {
            "event_id": event.id,
            "event_type": event.type,
            "aggregate_id": aggregate_id,
            "payload": event.to_json().decode(),
        },
    )


@functools.cache
def _record_statement(tables: OutboxTables) -> sa.Select[tuple[None]]:
    """Insert + NOTIFY in one round trip, built once per service: every write runs it."""
    outbox = tables.outbox
    recorded = (
        sa.insert(outbox)
        .values(
            {
                name: sa.bindparam(name, type_=outbox.c[name].type)
                for name in ("event_id", "event_type", "aggregate_id", "payload")
            }
        )
        .returning(outbox.c.sequence)
        .cte("recorded")
    )
    # The insert runs once as a CTE. NOTIFY is transactional, so the relay is woken at
    # commit and never for a rolled-back change.
    return sa.select(sa.func.pg_notify(NOTIFY_CHANNEL, "")).select_from(recorded)


def record_many(
    session: Session, tables: OutboxTables, events: Sequence[tuple[Envelope, uuid.UUID]]
) -> None:
    """Queue several (event, aggregate id) pairs at once, in the given order, as `record` does."""
    if not events:
        return
    session.execute(
        sa.insert(tables.outbox),
        [
            {
                "event_id": event.id,
                "event_type": event.type,
                "aggregate_id": aggregate_id,
                "payload": event.to_json().decode(),
            }
            for event, aggregate_id in events
        ],
    )
    session.execute(sa.select(sa.func.pg_notify(NOTIFY_CHANNEL, "")))
