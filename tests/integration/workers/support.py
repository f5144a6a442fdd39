"""Helpers of the backbone tests: the test service handle, background runners, waiting."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import nats
import psycopg
import sqlalchemy as sa
from nats.js.errors import NotFoundError

from common.db import Database
from common.events.streams import EventSettings, ensure_stream
from tests.conftest import NATS_URL
from tests.integration.workers import backbone as schema
from workers.jetstream import ConsumerSpec, consume
from workers.relay import OutboxRelay, RelaySettings, run_relay
from workers.runtime import psycopg_conninfo

Runner = Callable[[asyncio.Event, asyncio.Event], Awaitable[None]]


@dataclass
class Backbone:
    """The test service's database and the private stream of the running test."""

    url: str
    db: Database
    events: EventSettings

    def env(self, **overrides: str) -> dict[str, str]:
        """Environment for the relay, consumer or dead-letter CLI as subprocesses."""
        values = {
            **os.environ,
            "APP_ENV": "test",
            "DATABASE_URL": self.url,
            "NATS_URL": NATS_URL,
            "EVENTS_STREAM": self.events.stream,
            "EVENTS_SUBJECT_PREFIX": self.events.subject_prefix,
            "EVENTS_MAX_DELIVER": str(self.events.max_deliver),
            "EVENTS_RETRY_DELAYS": ",".join(str(d) for d in self.events.retry_delays),
            "EVENTS_ACK_WAIT_SECONDS": str(int(self.events.ack_wait_seconds)),
            "OUTBOX_POLL_MILLISECONDS": "200",
            "LOG_LEVEL": "WARNING",
        }
        values.update(overrides)
        return values

    def relay_settings(self, **changes: Any) -> RelaySettings:
        base = RelaySettings(
            service=schema.SERVICE,
            database_url=self.url,
            nats_url=NATS_URL,
            events=self.events,
            poll_seconds=0.2,
        )
        return replace(base, **changes)

    def consumer_spec(self, **changes: Any) -> ConsumerSpec:
        return ConsumerSpec(
            schema.SERVICE, self.db, schema.TABLES, schema.HANDLERS, replace(self.events, **changes)
        )

    def rows(self, table: sa.Table, *where: Any) -> list[sa.Row[Any]]:
        with self.db.transaction() as session:
            return list(session.execute(sa.select(table).where(*where)).all())

    def applications(self) -> int:
        """How many handler runs changed the replica and committed."""
        with self.db.transaction() as session:
            total = session.execute(sa.select(sa.func.sum(schema.replica.c.applied))).scalar()
        return int(total or 0)

    def count(self, table: sa.Table, *where: Any) -> int:
        with self.db.transaction() as session:
            return int(
                session.execute(
                    sa.select(sa.func.count()).select_from(table).where(*where)
                ).scalar_one()
            )


def run_async(factory: Callable[[], Awaitable[Any]]) -> Any:
    """Run a coroutine to completion on a fresh event loop (for NATS calls in sync tests)."""

    async def main() -> Any:
        return await factory()

    return asyncio.run(main())


async def _delete_stream(name: str) -> None:
    nc = await nats.connect(NATS_URL)
    try:
        await nc.jetstream().delete_stream(name)
    except NotFoundError:
        pass
    finally:
        await nc.close()


async def delete_stream(name: str) -> None:
    """Remove a test stream (and its consumers)."""
    nc = await nats.connect(NATS_URL)
    try:
        await nc.jetstream().delete_stream(name)
    except NotFoundError:
        pass
    finally:
        await nc.close()


class Background:
    """An async service (relay or consumer loop) on its own event loop in a thread."""

    def __init__(self, runner: Runner) -> None:
        self._runner = runner
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            ready = asyncio.Event()
            waiter = asyncio.create_task(ready.wait())
            waiter.add_done_callback(lambda _: self._ready.set())
            await self._runner(self._stop, ready)

        try:
            asyncio.run(main())
        except BaseException as exc:
            self._error = exc
            self._ready.set()

    def start(self) -> Background:
        self._thread.start()
        assert self._ready.wait(15), "background service did not get ready"
        if self._error:
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop and self._stop and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(20)
        assert not self._thread.is_alive(), "background service did not stop"
        if self._error:
            raise self._error


@contextmanager
def background(runner: Runner) -> Iterator[Background]:
    service = Background(runner).start()
    try:
        yield service
    finally:
        service.stop()


@contextmanager
def running_relay(backbone: Backbone, **changes: Any) -> Iterator[Background]:
    settings = backbone.relay_settings(**changes)
    with background(lambda stop, ready: run_relay(settings, stop, ready)) as service:
        yield service


@contextmanager
def running_consumer(backbone: Backbone, **changes: Any) -> Iterator[Background]:
    spec = backbone.consumer_spec(**changes)
    with background(lambda stop, ready: consume(spec, NATS_URL, stop, ready)) as service:
        yield service


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, step: float = 0.02) -> None:
    """Poll `predicate` until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s")


def stream_messages(events: EventSettings) -> list[tuple[str, bytes]]:
    """Every message stored in the test stream: (Nats-Msg-Id, payload), in stream order."""

    async def read() -> list[tuple[str, bytes]]:
        nc = await nats.connect(NATS_URL)
        try:
            js = nc.jetstream()
            try:
                state = (await js.stream_info(events.stream)).state
            except NotFoundError:
                return []
            found = []
            for seq in range(state.first_seq, state.last_seq + 1) if state.messages else ():
                stored = await js.get_msg(events.stream, seq)
                found.append(((stored.headers or {}).get("Nats-Msg-Id", ""), stored.data or b""))
            return found
        finally:
            await nc.close()

    result: list[tuple[str, bytes]] = run_async(read)
    return result


def publish_raw(events: EventSettings, subject: str, payload: bytes, msg_id: str) -> None:
    """Publish straight to JetStream, as a relay (or a misbehaving producer) would."""

    async def send() -> None:
        nc = await nats.connect(NATS_URL)
        try:
            js = nc.jetstream()
            await ensure_stream(js, events)
            await js.publish(
                subject, payload, stream=events.stream, headers={"Nats-Msg-Id": msg_id}
            )
        finally:
            await nc.close()

    run_async(send)


def run_housekeeping(settings: RelaySettings) -> None:
    """One run of the relay's housekeeping (prune) on the settings' database."""

    async def prune() -> None:
        conninfo = psycopg_conninfo(settings.database_url)
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as db:
            await OutboxRelay(settings, None, db).prune()  # type: ignore[arg-type]  # pruning needs no NATS

    run_async(prune)


def deadletters_cli(backbone: Backbone, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m workers.deadletters ARGS` against the backbone's database and stream."""
    return subprocess.run(
        [sys.executable, "-m", "workers.deadletters", *args],
        env=backbone.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
