"""Dead letters: events a consumer gave up on, kept for an operator to see, replay or discard.

`python -m workers.deadletters` and the operators' console (/ops/dead-letters) both call these.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import nats
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from common.db import Database
from common.events.streams import EventSettings, ensure_stream
from common.outbox import OutboxTables

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeadLetter:
    """A message that exhausted its deliveries (or could not be parsed)."""

    event_id: uuid.UUID | None
    event_type: str | None
    subject: str
    payload: str
    error: str
    attempts: int


def record_dead_letter(db: Database, tables: OutboxTables, letter: DeadLetter) -> None:
    """Store a dead letter; idempotent: one open (not yet replayed) letter per event id."""
    dead = tables.dead_letters
    with db.transaction() as session:
        session.execute(
            insert(dead)
            .values(
                event_id=letter.event_id,
                event_type=letter.event_type,
                subject=letter.subject,
                payload=letter.payload,
                error=letter.error,
                attempts=letter.attempts,
            )
            .on_conflict_do_nothing(
                index_elements=[dead.c.event_id], index_where=dead.c.replayed_at.is_(None)
            )
        )


def list_dead_letters(db: Database, tables: OutboxTables) -> list[dict[str, object]]:
    """Every dead letter, newest first, as JSON-ready dicts."""
    dead = tables.dead_letters
    with db.transaction() as session:
        rows = session.execute(sa.select(dead).order_by(dead.c.id.desc())).mappings().all()
    return [
        {
            "id": row["id"],
            "eventId": str(row["event_id"]) if row["event_id"] else None,
            "type": row["event_type"],
            "subject": row["subject"],
            "error": row["error"],
            "attempts": row["attempts"],
            "createdAt": row["created_at"].isoformat(),
            "replayedAt": row["replayed_at"].isoformat() if row["replayed_at"] else None,
            "replayCount": row["replay_count"],
        }
        for row in rows
    ]


async def replay_dead_letter(
    db: Database, tables: OutboxTables, nats_url: str, events: EventSettings, letter_id: int
) -> str:
    """Republish a dead letter's original envelope to its subject and mark it replayed."""
    # A fresh Nats-Msg-Id keeps JetStream's dedup from dropping it; consumers still dedupe by
    # the event id, which the failed attempts never recorded as processed (they rolled back).
    dead = tables.dead_letters
    nc = await nats.connect(servers=nats_url.split(","), name="deadletters-replay")
    try:
        js = nc.jetstream()
        await ensure_stream(js, events)
        with db.transaction() as session:
            row = (
                session.execute(sa.select(dead).where(dead.c.id == letter_id).with_for_update())
                .mappings()
                .first()
            )
            if row is None:
                raise LookupError(f"no dead letter {letter_id}")
            count = row["replay_count"] + 1
            msg_id = f"{row['event_id'] or f'dead-letter-{letter_id}'}-replay-{count}"
            await js.publish(
                row["subject"],
                row["payload"].encode(),
                timeout=5,
                stream=events.stream,
                headers={"Nats-Msg-Id": msg_id},
            )
            session.execute(
                sa.update(dead)
                .where(dead.c.id == letter_id)
                .values(replayed_at=sa.func.now(), replay_count=count)
            )
        return msg_id
    finally:
        await nc.drain()


def discard_dead_letter(db: Database, tables: OutboxTables, letter_id: int) -> dict[str, object]:
    """Delete a dead letter that must never be applied; what it was, for the log and the caller."""
    dead = tables.dead_letters
    with db.transaction() as session:
        row = (
            session.execute(sa.delete(dead).where(dead.c.id == letter_id).returning(dead))
            .mappings()
            .first()
        )
    if row is None:
        raise LookupError(f"no dead letter {letter_id}")
    discarded = {
        "discarded": letter_id,
        "eventId": str(row["event_id"]) if row["event_id"] else None,
        "type": row["event_type"],
        "subject": row["subject"],
    }
    # The row is gone: its payload stays in the log, the only record left of it.
    log.warning("dead letter discarded", extra={**discarded, "payload": row["payload"]})
    return discarded
