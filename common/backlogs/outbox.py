"""The outbox backlog and the open dead letters of one service database."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common.outbox import OutboxTables


@dataclass(frozen=True)
class OutboxBacklog:
    """Unpublished events of a service and the age of the oldest one (0 when none wait)."""

    unpublished: int
    oldest_age_seconds: float


def outbox_backlog(session: Session, tables: OutboxTables) -> OutboxBacklog:
    """Count the unpublished events and age the oldest (served by the pending index)."""
    outbox = tables.outbox
    row = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(
                sa.func.extract("epoch", sa.func.now() - sa.func.min(outbox.c.created_at)), 0
            ),
        ).where(outbox.c.published_at.is_(None))
    ).one()
    return OutboxBacklog(unpublished=int(row[0]), oldest_age_seconds=max(float(row[1]), 0.0))


def open_dead_letters(session: Session, tables: OutboxTables) -> int:
    """Dead letters not yet replayed."""
    dead = tables.dead_letters
    return int(session.scalar(sa.select(sa.func.count()).where(dead.c.replayed_at.is_(None))) or 0)


@dataclass(frozen=True)
class OutboxEvent:
    """An event the service wrote about one aggregate, and when the relay published it."""

    event_id: str
    event_type: str
    created_at: datetime
    published_at: datetime | None


def events_of_aggregate(
    session: Session, tables: OutboxTables, aggregate_ids: Sequence[uuid.UUID]
) -> list[OutboxEvent]:
    """The outbox events of these aggregates, oldest first (as long as retention keeps them)."""
    if not aggregate_ids:
        return []
    outbox = tables.outbox
    rows = session.execute(
        sa.select(
            outbox.c.event_id, outbox.c.event_type, outbox.c.created_at, outbox.c.published_at
        )
        .where(outbox.c.aggregate_id.in_(list(aggregate_ids)))
        .order_by(outbox.c.sequence)
    ).all()
    return [OutboxEvent(str(row[0]), row[1], row[2], row[3]) for row in rows]
