"""Event propagation: commit of a change + outbox record -> row visible in a consumer's table.

Runs the real relay and consumer processes (`python -m workers.relay`, the backbone test
service's consumer) against a scratch database and a private stream, sends events one at a
time and prints p50/p99. In alternating rounds it measures the floor of the same hop without
the backbone (insert+commit, raw nats-py publish and pull, insert+commit) and the ratio.

    .venv/bin/python -m bench.event_propagation [--events 1000] [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import nats
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from common.config import normalise_database_url
from common.db import Database
from tests.workers import backbone as schema
from workers.runtime import psycopg_conninfo
from workers.streams import EventSettings, ensure_consumer, ensure_stream

SERVER_URL = normalise_database_url(
    os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
)
NATS_URL = os.environ.get("BENCH_NATS_URL", "nats://127.0.0.1:4222")
DATABASE = "ticketing_bench_backbone"


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of `values` (in the same unit)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def drop_database() -> None:
    """Remove the benchmark database."""
    admin = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
    admin.dispose()


def fresh_database() -> str:
    """Drop and recreate the benchmark database with the backbone test service's tables."""
    drop_database()
    admin = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    url = make_url(SERVER_URL).set(database=DATABASE).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    schema.metadata.create_all(engine)
    with engine.begin() as connection:
        # Tells the benchmark the moment a replica row commits, without polling for it.
        connection.execute(
            sa.text(
                "CREATE FUNCTION bench_seen() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN PERFORM pg_notify('bench_seen', NEW.id::text); RETURN NEW; END $$"
            )
        )
        connection.execute(
            sa.text(
                "CREATE TRIGGER bench_seen AFTER INSERT ON ticket_replica "
                "FOR EACH ROW EXECUTE FUNCTION bench_seen()"
            )
        )
    engine.dispose()
    return url


@contextmanager
def processes(url: str, events: EventSettings) -> Iterator[None]:
    """The relay and the consumer as their own processes, stopped with SIGTERM afterwards."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "NATS_URL": NATS_URL,
        "APP_ENV": "test",
        "EVENTS_STREAM": events.stream,
        "EVENTS_SUBJECT_PREFIX": events.subject_prefix,
        "LOG_LEVEL": "WARNING",
    }
    started = [
        subprocess.Popen([sys.executable, "-m", "workers.relay", schema.SERVICE], env=env),
        subprocess.Popen([sys.executable, "-m", "tests.workers.backbone"], env=env),
    ]
    try:
        yield
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(30)


class BackboneProbe:
    """Producer use case (row change + outbox record) -> relay -> consumer -> replica commit."""

    def __init__(self, url: str) -> None:
        self.db = Database.from_url(url)
        self.watcher = psycopg.connect(psycopg_conninfo(url), autocommit=True)
        self.watcher.execute("LISTEN bench_seen")

    def once(self, n: int) -> float:
        """Seconds from just before the producer's transaction to the replica row's commit."""
        ticket_id = uuid.uuid4()
        started = time.perf_counter()
        with self.db.transaction() as session:
            schema.save_ticket(session, ticket_id, 1, f"bench {n}")
        for seen in self.watcher.notifies(timeout=30):
            if seen.payload == str(ticket_id):
                return time.perf_counter() - started
        raise TimeoutError(f"event {n} never reached the replica")

    def close(self) -> None:
        self.watcher.close()
        self.db.dispose()


class FloorProbe:
    """The same hop by hand: insert+commit, publish, pull, insert+commit; no outbox, no relay."""

    def __init__(self, url: str, events: EventSettings) -> None:
        self.url, self.events = url, events
        self.producer = psycopg.connect(psycopg_conninfo(url))
        self.consumer = psycopg.connect(psycopg_conninfo(url))

    async def open(self) -> None:
        self.nc = await nats.connect(NATS_URL)
        self.js = self.nc.jetstream()
        await ensure_stream(self.js, self.events)
        durable = await ensure_consumer(self.js, self.events, "floor", "tickets.created")
        self.subscription = await self.js.pull_subscribe_bind(
            durable=durable, stream=self.events.stream
        )

    async def once(self, n: int) -> float:
        """Seconds from just before the producer's insert to the replica insert's commit."""
        ticket_id = uuid.uuid4()
        started = time.perf_counter()
        self.producer.execute(
            "INSERT INTO tickets (id, version, title) VALUES (%s, 1, %s)", (ticket_id, f"f{n}")
        )
        self.producer.commit()
        await self.js.publish(
            self.events.subject("tickets.created"),
            schema.ticket_event(ticket_id, 1, f"f{n}").to_json(),
            stream=self.events.stream,
            headers={"Nats-Msg-Id": str(uuid.uuid4())},
        )
        [message] = await self.subscription.fetch(1, timeout=5)
        self.consumer.execute(
            "INSERT INTO ticket_replica (id, version, title) VALUES (%s, 1, 'f')", (ticket_id,)
        )
        self.consumer.commit()
        await message.ack()
        return time.perf_counter() - started

    async def close(self) -> None:
        await self.subscription.unsubscribe()
        await self.nc.drain()
        self.producer.close()
        self.consumer.close()


async def measure(
    url: str, floor_events: EventSettings, count: int, warmup: int, rounds: int
) -> tuple[list[float], list[float]]:
    """Alternate rounds of both probes, so load drifting on the machine hits both alike."""
    backbone, floor = BackboneProbe(url), FloorProbe(url, floor_events)
    await floor.open()
    measured: list[float] = []
    floored: list[float] = []
    try:
        for n in range(warmup):
            backbone.once(n)
            await floor.once(n)
        print(f"  warmed up with {warmup} events each", flush=True)
        per_round = max(1, count // rounds)
        while len(measured) < count:
            chunk = min(per_round, count - len(measured))
            measured += [backbone.once(n) for n in range(len(measured), len(measured) + chunk)]
            for n in range(len(floored), len(floored) + chunk):
                floored.append(await floor.once(n))
    finally:
        backbone.close()
        await floor.close()
    return measured, floored


def report(name: str, latencies: list[float]) -> tuple[float, float]:
    p50, p99 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000
    mean = statistics.fmean(latencies) * 1000
    print(
        f"{name:<10} n={len(latencies)}  p50={p50:.2f} ms  p99={p99:.2f} ms  "
        f"mean={mean:.2f} ms  max={max(latencies) * 1000:.2f} ms"
    )
    return p50, p99


async def _delete_stream(name: str) -> None:
    nc = await nats.connect(NATS_URL)
    try:
        await nc.jetstream().delete_stream(name)
    finally:
        await nc.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    url = fresh_database()
    tag = uuid.uuid4().hex[:12]
    events = EventSettings(stream=f"BENCH_{tag}", subject_prefix=f"bench_{tag}")
    floor_events = EventSettings(
        stream=f"{events.stream}_FLOOR", subject_prefix=f"{events.subject_prefix}_floor"
    )
    try:
        print(f"{args.events} events each, one at a time, in {args.rounds} alternating rounds")
        print("  backbone: use case + outbox -> relay process -> JetStream -> consumer process")
        print("  floor:    insert+commit, nats-py publish + pull, insert+commit, in one process")
        with processes(url, events):
            time.sleep(1.5)
            measured, floor = asyncio.run(
                measure(url, floor_events, args.events, args.warmup, args.rounds)
            )
    finally:
        for name in (events.stream, floor_events.stream):
            try:
                asyncio.run(_delete_stream(name))
            except Exception as exc:  # cleanup of a benchmark stream is best effort
                print(f"could not delete stream {name}: {exc}")
        drop_database()
    b50, b99 = report("backbone", measured)
    f50, f99 = report("floor", floor)
    print(
        f"ratio      p50={b50 / f50:.2f}x  p99={b99 / f99:.2f}x  "
        f"(goal: p99 < 50 ms and <= 2x floor)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
