"""Outbox relay: `python -m workers.relay <service>` publishes its events to JetStream."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import psycopg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import PubAck
from psycopg import sql

from common.config import DEFAULT_DATABASE_URL, Env, normalise_database_url
from common.db import Database, service_metadata
from common.events.streams import EventSettings, ensure_stream
from common.http.health import database_check, nats_check
from common.logging import configure_logging
from common.outbox.tables import NOTIFY_CHANNEL, OUTBOX_TABLE, add_outbox_tables
from workers.health_collectors import backlog_collectors
from workers.health_server import heartbeat, serve_worker_health
from workers.retention import keep_seconds, remembered
from workers.runtime import connect_nats, psycopg_conninfo, stop_on_signals

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT_SECONDS = 5.0

# One active relay per service database: the one holding this session-level advisory lock
# (a second replica is a hot standby and takes over when the holder's connection ends).
_ACQUIRE = sql.SQL("SELECT pg_try_advisory_lock(hashtext('ticketing.outbox.relay'))")
# Autocommit, no row locks: only the lock holder publishes, and a lone SELECT saves the
# round trip a BEGIN would add between a commit and its publication.
# Rendered to text once, not at each execution.
_PENDING = (
    sql.SQL(
        "SELECT sequence, event_id, event_type, payload FROM {} "
        "WHERE published_at IS NULL ORDER BY sequence LIMIT %s"
    )
    .format(sql.Identifier(OUTBOX_TABLE))
    .as_string()
)
_MARK = (
    sql.SQL("UPDATE {} SET published_at = now() WHERE sequence = ANY(%s)")
    .format(sql.Identifier(OUTBOX_TABLE))
    .as_string()
)
# Marks wait this long for company: one UPDATE for the rows published meanwhile.
MARK_DELAY_SECONDS = 0.05
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


class Noticed(NamedTuple):
    """An outbox row as its commit's NOTIFY carried it (common/outbox/record.py)."""

    sequence: int
    event_id: str
    event_type: str
    payload: str


def parse_notice(text: str) -> Noticed | None:
    """The row a NOTIFY payload carries; None for a bare wake-up (several rows, a large one)."""
    parts = text.split(" ", 3)
    if len(parts) < 4 or not parts[0].isdigit():
        return None
    return Noticed(int(parts[0]), parts[1], parts[2], parts[3])


class Inbox:
    """What the listener heard since the relay last looked: rows in commit order, bare wakes."""

    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.rows: list[Noticed] = []
        self.bare = True  # nothing heard yet: the table may hold rows from before

    def put(self, row: Noticed | None) -> None:
        if row is None:
            self.bare = True
        else:
            self.rows.append(row)
        self.wake.set()

    def read_table(self) -> None:
        """Rows may have been committed unheard (reconnected listener, polling interval)."""
        self.put(None)

    def take(self) -> tuple[list[Noticed], bool]:
        """The rows heard, and whether the table must be read for rows no notice carried."""
        rows, bare = self.rows, self.bare
        self.rows, self.bare = [], False
        self.wake.clear()
        return rows, bare


class OutboxRelay:
    """Publishes pending outbox rows, each aggregate's in order; marked only after the PubAck.

    Caught up, it publishes the rows its NOTIFYs carry, as they come: no read of the table
    between a commit and its publication. It reads the table (in sequence order) when a
    notice carried no row, when it becomes the active relay, on every polling interval and
    after a failed publish: the rows noticed meanwhile are all in what it reads, since a
    notice is heard only after its commit.
    """

    def __init__(
        self, settings: RelaySettings, js: JetStreamContext, db: psycopg.AsyncConnection
    ) -> None:
        self.settings = settings
        self.js = js
        self.db = db
        self.active = False
        self.behind = True
        self.read_at = -math.inf
        # Published by the last read of the table: their notices may still be on the way.
        self.read: set[int] = set()
        # Published, not yet marked: marked together in a quiet moment or a full batch.
        self.unmarked: list[int] = []

    async def relay(self, noticed: Sequence[Noticed], read_table: bool) -> bool:
        """Publish what was noticed, or read the table; True if a full batch may follow."""
        if not await self._is_active():
            return False
        if read_table or self.behind:
            return await self.publish_batch() == self.settings.batch_size
        rows = [row for row in noticed if row.sequence not in self.read]
        published = await self._publish(rows)
        self.unmarked.extend(published)
        # A row left unpublished must not be overtaken: read the table until it is sent.
        self.behind = len(published) < len(rows)
        if time.monotonic() - self.read_at >= self.settings.poll_seconds:
            # Polling, after the noticed rows are out: rows no notice announced.
            return await self.publish_batch() == self.settings.batch_size
        if not rows or len(self.unmarked) >= self.settings.batch_size:
            await self.mark()
        return False

    async def publish_batch(self) -> int:
        """Publish and mark the oldest pending rows if this relay is the active one."""
        if not await self._is_active():
            return 0
        await self.mark()  # or the read would return them again
        cursor = await self.db.execute(_PENDING, (self.settings.batch_size,))
        rows = await cursor.fetchall()
        self.read_at = time.monotonic()
        published = await self._publish(rows)
        self.unmarked.extend(published)
        await self.mark()
        self.read = set(published)
        self.behind = len(published) < len(rows) or len(rows) == self.settings.batch_size
        return len(published)

    async def mark(self) -> None:
        """Mark what was published. Left unmarked by a crash, it is resent and deduplicated."""
        published, self.unmarked = self.unmarked, []
        if published and self.settings.pause_before_mark_seconds:
            log.warning("test hook: pausing before marking %d rows", len(published))
            await asyncio.sleep(self.settings.pause_before_mark_seconds)
        if published:
            await self.db.execute(_MARK, (published,))

    async def _is_active(self) -> bool:
        if not self.active:
            cursor = await self.db.execute(_ACQUIRE)
            row = await cursor.fetchone()
            self.active = bool(row and row[0])
            if self.active:
                log.info("active relay of this database")
                self.behind = True  # rows may wait from before it held the lock
        return self.active

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
    conninfo: str, inbox: Inbox, listening: asyncio.Event, retry_seconds: float
) -> None:
    """Hand every outbox NOTIFY to `inbox`; reconnects, and asks for a table read each time."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(NOTIFY_CHANNEL)))
                listening.set()
                inbox.read_table()  # what was committed while nobody listened
                async for notify in conn.notifies():
                    inbox.put(parse_notice(notify.payload))
        except psycopg.Error as exc:
            log.warning("outbox listener lost its connection: %s", exc)
        await asyncio.sleep(retry_seconds)


async def _wake_on(stop: asyncio.Event, inbox: Inbox) -> None:
    await stop.wait()
    inbox.wake.set()


async def run_relay(
    settings: RelaySettings, stop: asyncio.Event, listening: asyncio.Event | None = None
) -> None:
    """Relay until `stop` is set, then finish the batch in hand and return."""
    conninfo = psycopg_conninfo(settings.database_url)
    nc = await connect_nats(settings.nats_url, f"{settings.service}-relay")
    js = nc.jetstream()
    await ensure_stream(js, settings.events)
    inbox = Inbox()
    listening = listening or asyncio.Event()
    helpers = [
        asyncio.create_task(_listen(conninfo, inbox, listening, settings.poll_seconds)),
        asyncio.create_task(_wake_on(stop, inbox)),
    ]
    db: psycopg.AsyncConnection | None = None
    relay: OutboxRelay | None = None
    pruned_at = 0.0
    more = False
    try:
        while not stop.is_set():
            heartbeat.beat()
            if not more and not inbox.wake.is_set():
                unmarked = relay is not None and bool(relay.unmarked)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(
                        MARK_DELAY_SECONDS if unmarked else settings.poll_seconds
                    ):
                        await inbox.wake.wait()
                if stop.is_set():
                    break
            noticed, read_table = inbox.take()
            more = False
            try:
                if relay is None or relay.db.closed or relay.db.broken:
                    db = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
                    # Marks need no fsync wait: a mark lost in a crash is a deduplicated resend.
                    await db.execute("SET synchronous_commit = off")
                    relay = OutboxRelay(settings, js, db)
                more = await relay.relay(noticed, read_table)
                if time.monotonic() - pruned_at > 600:
                    await relay.prune()
                    pruned_at = time.monotonic()
            except psycopg.Error as exc:
                log.warning("outbox relay database error: %s", exc)
                if relay is not None:
                    relay.behind = True
    finally:
        if relay is not None and not relay.db.closed:
            with contextlib.suppress(psycopg.Error):
                await relay.mark()
        for helper in helpers:
            helper.cancel()
        for helper in helpers:
            with contextlib.suppress(asyncio.CancelledError):
                await helper
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
    db = Database.from_url(normalise_database_url(settings.database_url))
    health = serve_worker_health(
        f"{settings.service}-relay",
        {"database": database_check(db.engine), "nats": nats_check(settings.nats_url)},
        backlog_collectors(settings.service, db, add_outbox_tables(service_metadata())),
    )
    try:
        asyncio.run(_main(settings))
    finally:
        if health is not None:
            health.close()
        db.dispose()
    log.info("outbox relay stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
