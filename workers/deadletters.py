"""Dead letters: events a consumer gave up on, kept for an operator to see and replay.

python -m workers.deadletters list <service>
python -m workers.deadletters replay <service> ID
python -m workers.deadletters discard <service> ID

The operators' console (/ops/dead-letters) calls these same functions.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from common.config import DEFAULT_DATABASE_URL, Env, normalise_database_url
from common.db import Database, service_metadata
from common.outbox import OutboxTables, add_outbox_tables
from workers.runtime import connect_nats
from workers.streams import EventSettings, ensure_stream

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
    nc = await connect_nats(nats_url, "deadletters-replay")
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


def _tables() -> OutboxTables:
    return add_outbox_tables(service_metadata())


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Entry point: list or replay a service's dead letters (DATABASE_URL, NATS_URL, EVENTS_*)."""
    args = list(sys.argv[1:] if argv is None else argv)
    usage = (
        "usage: python -m workers.deadletters list <service> | replay <service> ID"
        " | discard <service> ID"
    )
    if not args or (args[0], len(args)) not in {("list", 2), ("replay", 3), ("discard", 3)}:
        print(usage, file=sys.stderr)
        return 2
    env = Env(environ)
    db = Database.from_url(normalise_database_url(env.str("DATABASE_URL", DEFAULT_DATABASE_URL)))
    tables = _tables()
    try:
        if args[0] == "list":
            for letter in list_dead_letters(db, tables):
                print(json.dumps(letter))
            return 0
        try:
            letter_id = int(args[2])
        except ValueError:
            print(usage, file=sys.stderr)
            return 2
        if args[0] == "discard":
            try:
                print(json.dumps(discard_dead_letter(db, tables, letter_id)))
            except LookupError as exc:
                print(str(exc), file=sys.stderr)
                return 1
            return 0
        nats_url = env.str("NATS_URL", "nats://127.0.0.1:4222")
        events = EventSettings.from_env(environ)
        try:
            msg_id = asyncio.run(replay_dead_letter(db, tables, nats_url, events, letter_id))
        except LookupError as exc:
            print(str(exc), file=sys.stderr)
            return 1
        print(json.dumps({"replayed": letter_id, "msgId": msg_id}))
        return 0
    finally:
        db.dispose()


if __name__ == "__main__":
    sys.exit(main())
