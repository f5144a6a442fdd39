"""Outbox relay: `python -m workers.relay <service>` publishes its events to JetStream."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import psycopg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import PubAck
from psycopg import sql

from common.config import DEFAULT_DATABASE_URL, Env
from common.logging import configure_logging
from common.outbox.tables import NOTIFY_CHANNEL, OUTBOX_TABLE
from workers.retention import keep_seconds, remembered
from workers.runtime import connect_nats, psycopg_conninfo, stop_on_signals, wait_for_any
from workers.streams import EventSettings, ensure_stream

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT_SECONDS = 5.0

# One active relay per service database: the one holding this session-level advisory lock
# (a second replica is a hot standby and takes over when the holder's connection ends).
_ACQUIRE = sql.SQL("SELECT pg_try_advisory_lock(hashtext('ticketing.outbox.relay'))")
# Autocommit, no row locks: only the lock holder publishes, and a lone SELECT saves the
# round trip a BEGIN would add between a commit and its publication.
_PENDING = sql.SQL(
    "SELECT sequence, event_id, event_type, payload FROM {} "
    "WHERE published_at IS NULL ORDER BY sequence LIMIT %s"
).format(sql.Identifier(OUTBOX_TABLE))
_MARK = sql.SQL("UPDATE {} SET published_at = now() WHERE sequence = ANY(%s)").format(
    sql.Identifier(OUTBOX_TABLE)
)
_PRUNE = sql.SQL("DELETE FROM {} WHERE published_at < now() - make_interval(hours => %s)").format(
    sql.Identifier(OUTBOX_TABLE)
)


@dataclass(frozen=True)
class RelaySettings:
    """What the relay reads from the environment."""

    service: str
    database_url: str = DEFAULT_DATABASE_URL
    nats_url: str = "nats://127.0.0.1:4222"
    events: EventSettings = field(default_factory=EventSettings)
    batch_size: int = 100
    poll_seconds: float = 1.0
    retention_hours: int = 72
    log_level: str = "INFO"
    pause_before_mark_seconds: float = 0.0

    @classmethod
    def from_env(cls, service: str, environ: Mapping[str, str] | None = None) -> RelaySettings:
        env = Env(environ)
        return cls(
            service=service,
            database_url=env.str("DATABASE_URL", DEFAULT_DATABASE_URL),
            nats_url=env.str("NATS_URL", "nats://127.0.0.1:4222"),
            events=EventSettings.from_env(environ),
            batch_size=env.int("OUTBOX_BATCH_SIZE", 100),
            poll_seconds=env.int("OUTBOX_POLL_MILLISECONDS", 1000) / 1000,
            retention_hours=env.int("OUTBOX_RETENTION_HOURS", 72),
            log_level=env.str("LOG_LEVEL", "INFO").upper(),
            # Test hook: widens the crash window between publishing and marking a batch.
            pause_before_mark_seconds=env.int("OUTBOX_TEST_PAUSE_BEFORE_MARK_MS", 0) / 1000,
        )


class OutboxRelay:
    """Publishes pending outbox rows in sequence order; a row is marked only after its PubAck."""

    def __init__(
        self, settings: RelaySettings, js: JetStreamContext, db: psycopg.AsyncConnection
    ) -> None:
        self.settings = settings
        self.js = js
        self.db = db
        self.active = False

    async def publish_batch(self) -> int:
        """Publish and mark one batch if this relay is the active one; rows published."""
        if not self.active:
            cursor = await self.db.execute(_ACQUIRE)
            row = await cursor.fetchone()
            self.active = bool(row and row[0])
            if not self.active:
                return 0
            log.info("active relay of this database")
        cursor = await self.db.execute(_PENDING, (self.settings.batch_size,))
        rows = await cursor.fetchall()
        published = await self._publish(rows)
        if published and self.settings.pause_before_mark_seconds:
            log.warning("test hook: pausing before marking %d rows", len(published))
            await asyncio.sleep(self.settings.pause_before_mark_seconds)
        if published:
            await self.db.execute(_MARK, (published,))
        return len(published)

    async def _publish(self, rows: Sequence[tuple[int, object, str, str]]) -> list[int]:
        """Publish rows pipelined, in order; the sequences acknowledged before any failure.

        One connection keeps the publishes in order, and all of them are on the wire before
        the first PubAck is awaited: one round trip per batch instead of one per row.
        """
        pending: list[tuple[int, object, asyncio.Future[PubAck]]] = []
        for sequence, event_id, event_type, payload in rows:
            try:
                future = await self.js.publish_async(
                    self.settings.events.subject(event_type),
                    payload.encode(),
                    wait_stall=PUBLISH_TIMEOUT_SECONDS,
                    stream=self.settings.events.stream,
                    headers={"Nats-Msg-Id": str(event_id)},
                )
            except (TimeoutError, NatsError) as exc:
                # Later rows must not overtake this one: they wait for the next batch.
                log.warning("publish failed, will retry: %s", exc)
                break
            pending.append((sequence, event_id, future))
        published: list[int] = []
        in_order = True  # every earlier row got its PubAck
        for sequence, event_id, future in pending:
            if in_order:
                try:
                    await asyncio.wait_for(future, PUBLISH_TIMEOUT_SECONDS)
                except (TimeoutError, NatsError) as exc:
                    in_order = False
                    log.warning(
                        "publish failed, will retry",
                        extra={"eventId": str(event_id), "error": str(exc)},
                    )
                else:
                    published.append(sequence)
                    continue
            # After a failure nothing later is marked: it is resent (and deduplicated by
            # JetStream if it was stored) next batch. Cancelling frees its pending slot.
            future.cancel()
        return published

    async def prune(self) -> None:
        """Delete published rows after their retention, and what consumers remember too.

        Processed event ids (and a service's own memory of events) are kept only while the
        stream could bring those events back (workers/retention.py).
        """
        keep = keep_seconds(self.settings.events.max_age_seconds)
        async with self.db.transaction():
            await self.db.execute(_PRUNE, (self.settings.retention_hours,))
            for memory in remembered(self.settings.service):
                await self.db.execute(memory.forget(), (keep,))


async def _listen(
    conninfo: str, wake: asyncio.Event, listening: asyncio.Event, retry_seconds: float
) -> None:
    """Set `wake` on every outbox NOTIFY; reconnects, and wakes once after each (re)connect."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(NOTIFY_CHANNEL)))
                listening.set()
                wake.set()
                async for _ in conn.notifies():
                    wake.set()
        except psycopg.Error as exc:
            log.warning("outbox listener lost its connection: %s", exc)
        await asyncio.sleep(retry_seconds)


async def run_relay(
    settings: RelaySettings, stop: asyncio.Event, listening: asyncio.Event | None = None
) -> None:
    """Relay until `stop` is set, then finish the batch in hand and return."""
    conninfo = psycopg_conninfo(settings.database_url)
    nc = await connect_nats(settings.nats_url, f"{settings.service}-relay")
    js = nc.jetstream()
    await ensure_stream(js, settings.events)
    wake = asyncio.Event()
    listening = listening or asyncio.Event()
    listener = asyncio.create_task(_listen(conninfo, wake, listening, settings.poll_seconds))
    db: psycopg.AsyncConnection | None = None
    relay: OutboxRelay | None = None
    pruned_at = 0.0
    try:
        while not stop.is_set():
            wake.clear()
            published = 0
            try:
                if relay is None or relay.db.closed or relay.db.broken:
                    db = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
                    # Marks need no fsync wait: a mark lost in a crash is a deduplicated resend.
                    await db.execute("SET synchronous_commit = off")
                    relay = OutboxRelay(settings, js, db)
                published = await relay.publish_batch()
                if time.monotonic() - pruned_at > 600:
                    await relay.prune()
                    pruned_at = time.monotonic()
            except psycopg.Error as exc:
                log.warning("outbox relay database error: %s", exc)
            if published < settings.batch_size:
                await wait_for_any(wake, stop, timeout=settings.poll_seconds)
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        if db is not None:
            await db.close()
        await nc.drain()


async def _main(settings: RelaySettings) -> None:
    stop = asyncio.Event()
    stop_on_signals(stop)
    await run_relay(settings, stop)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: `python -m workers.relay <service>`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m workers.relay <service>", file=sys.stderr)
        return 2
    settings = RelaySettings.from_env(args[0])
    configure_logging(f"{settings.service}-relay", settings.log_level)
    log.info("outbox relay starting", extra={"stream": settings.events.stream})
    asyncio.run(_main(settings))
    log.info("outbox relay stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
