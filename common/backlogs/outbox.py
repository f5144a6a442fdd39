"""The outbox backlog and the open dead letters of one service database."""

from __future__ import annotations

from dataclasses import dataclass

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
