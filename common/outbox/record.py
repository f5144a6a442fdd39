"""Writing an event into the outbox, inside the use case's own transaction."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common.events.envelope import Envelope
from common.outbox.tables import NOTIFY_CHANNEL, OutboxTables

# PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; the row's other fields take <80.
MAX_NOTICED_PAYLOAD_BYTES = 7800


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
        .returning(outbox.c.sequence, outbox.c.event_id, outbox.c.event_type, outbox.c.payload)
        .cte("recorded")
    )
    # The insert runs once as a CTE. NOTIFY is transactional, so the relay hears of the row
    # at commit and never of a rolled-back change. The notice carries the row itself (read
    # by workers.relay.parse_notice), so the relay publishes it without reading the table;
    # a row too large for a NOTIFY payload sends a bare wake-up and is read from the table.
    row = recorded.c
    notice = sa.case(
        (
            sa.func.octet_length(row.payload) <= MAX_NOTICED_PAYLOAD_BYTES,
            sa.func.concat_ws(" ", row.sequence, row.event_id, row.event_type, row.payload),
        ),
        else_="",
    )
    return sa.select(sa.func.pg_notify(NOTIFY_CHANNEL, notice)).select_from(recorded)


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
