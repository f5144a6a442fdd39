"""The backbone's tables in each service database: outbox, processed events, dead letters."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

OUTBOX_TABLE = "outbox_events"
PROCESSED_TABLE = "processed_events"
DEAD_LETTER_TABLE = "dead_letters"
NOTIFY_CHANNEL = "ticketing_outbox"


@dataclass(frozen=True)
class OutboxTables:
    """A service's outbox (to publish), processed (consumed ids) and dead-letter tables."""

    outbox: sa.Table
    processed: sa.Table
    dead_letters: sa.Table


def add_outbox_tables(metadata: sa.MetaData) -> OutboxTables:
    """Declare the backbone tables on a service's metadata (call once, in its models module)."""
    outbox = sa.Table(
        OUTBOX_TABLE,
        metadata,
        # Allocated at insert: rows of one aggregate are serialised by its row lock, so the
        # relay publishing in sequence order keeps each aggregate's events in commit order.
        sa.Column("sequence", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("aggregate_id", sa.Uuid, nullable=False, index=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    )
    sa.Index(
        f"ix_{OUTBOX_TABLE}_pending",
        outbox.c.sequence,
        postgresql_where=outbox.c.published_at.is_(None),
    )
    processed = sa.Table(
        PROCESSED_TABLE,
        metadata,
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    dead_letters = sa.Table(
        DEAD_LETTER_TABLE,
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Uuid, nullable=True),
        sa.Column("event_type", sa.String(100), nullable=True),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replay_count", sa.Integer, nullable=False, server_default="0"),
    )
    # At most one open dead letter per event, so a crash while dead-lettering stays idempotent.
    sa.Index(
        f"uq_{DEAD_LETTER_TABLE}_open_event",
        dead_letters.c.event_id,
        unique=True,
        postgresql_where=dead_letters.c.replayed_at.is_(None),
    )
    return OutboxTables(outbox=outbox, processed=processed, dead_letters=dead_letters)
