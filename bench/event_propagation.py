"""Event propagation: commit of a change + outbox record -> row visible in a consumer's table.

Runs the real relay and consumer processes (`python -m workers.relay`, the backbone test
service's consumer) against a scratch database and a private stream, sends events one at a
time and prints p50/p99; then measures the floor for the same hop without the backbone
(insert+commit, raw nats-py publish and pull, insert+commit) and prints the ratio.

    .venv/bin/python -m bench.event_propagation [--events 1000]
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


def fresh_database() -> str:
    """Drop and recreate the benchmark database with the backbone test service's tables."""
    admin = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    url = make_url(SERVER_URL).set(database=DATABASE).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    schema.metadata.create_all(engine)
    with engine.begin() as connection:
        # Tells the benchmark the moment a replica row commits, without polling for it.
        connection.execute(sa.text(
            "CREATE FUNCTION bench_seen() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_notify('bench_seen', NEW.id::text); RETURN NEW; END $$"
        ))
        connection.execute(sa.text(
            "CREATE TRIGGER bench_seen AFTER INSERT ON ticket_replica "
            "FOR EACH ROW EXECUTE FUNCTION bench_seen()"
        ))
    engine.dispose()
    return url


@contextmanager
def processes(url: str, events: EventSettings) -> Iterator[None]:
    """The relay and the consumer as their own processes, stopped with SIGTERM afterwards."""
    env = {**os.environ, "DATABASE_URL": url, "NATS_URL": NATS_URL, "APP_ENV": "test",
           "EVENTS_STREAM": events.stream, "EVENTS_SUBJECT_PREFIX": events.subject_prefix,
           "LOG_LEVEL": "WARNING"}
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


def backbone_latencies(url: str, events: EventSettings, count: int, warmup: int) -> list[float]:
    """Seconds from just before the producer's transaction to the replica row's commit."""
    db = Database.from_url(url)
    latencies = []
    with psycopg.connect(psycopg_conninfo(url), autocommit=True) as watcher:
        watcher.execute("LISTEN bench_seen")
        for n in range(warmup + count):
            ticket_id = uuid.uuid4()
            started = time.perf_counter()
            with db.transaction() as session:
                schema.save_ticket(session, ticket_id, 1, f"bench {n}")
            for seen in watcher.notifies(timeout=30):
                if seen.payload == str(ticket_id):
                    break
            else:
                raise TimeoutError(f"event {n} never reached the replica")
            if n >= warmup:
                latencies.append(time.perf_counter() - started)
            if n + 1 == warmup:
                print(f"  warmed up with {warmup} events", flush=True)
    db.dispose()
    return latencies


async def floor_latencies(url: str, events: EventSettings, count: int, warmup: int) -> list[float]:
    """The same hop by hand: insert+commit, publish, pull, insert+commit; no outbox, no relay."""
    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    await ensure_stream(js, events)
    durable = await ensure_consumer(js, events, "floor", "tickets.created")
    subscription = await js.pull_subscribe_bind(durable=durable, stream=events.stream)
    subject = events.subject("tickets.created")
    latencies = []
    with psycopg.connect(psycopg_conninfo(url)) as producer, psycopg.connect(
        psycopg_conninfo(url)
    ) as consumer:
        for n in range(warmup + count):
            ticket_id = uuid.uuid4()
            started = time.perf_counter()
            producer.execute("INSERT INTO tickets (id, version, title) VALUES (%s, 1, 'f')",
                             (ticket_id,))
            producer.commit()
            payload = schema.ticket_event(ticket_id, 1, "f").to_json()
            await js.publish(subject, payload, stream=events.stream,
                             headers={"Nats-Msg-Id": str(uuid.uuid4())})
            [message] = await subscription.fetch(1, timeout=5)
            consumer.execute("INSERT INTO ticket_replica (id, version, title) VALUES (%s, 1, 'f')",
                             (ticket_id,))
            consumer.commit()
            await message.ack()
            if n >= warmup:
                latencies.append(time.perf_counter() - started)
    await subscription.unsubscribe()
    await nc.drain()
    return latencies


def report(name: str, latencies: list[float]) -> tuple[float, float]:
    p50, p99 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000
    mean = statistics.fmean(latencies) * 1000
    print(f"{name:<10} n={len(latencies)}  p50={p50:.2f} ms  p99={p99:.2f} ms  "
          f"mean={mean:.2f} ms  max={max(latencies) * 1000:.2f} ms")
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
    args = parser.parse_args()
    url = fresh_database()
    tag = uuid.uuid4().hex[:12]
    events = EventSettings(stream=f"BENCH_{tag}", subject_prefix=f"bench_{tag}")
    try:
        print(f"backbone: relay + consumer processes, {args.events} events, one at a time")
        with processes(url, events):
            time.sleep(1.5)
            measured = backbone_latencies(url, events, args.events, args.warmup)
        floor_events = EventSettings(stream=f"{events.stream}_FLOOR",
                                     subject_prefix=f"{events.subject_prefix}_floor")
        print("floor: insert+commit, nats-py publish + pull, insert+commit, in one process")
        floor = asyncio.run(floor_latencies(url, floor_events, args.events, args.warmup))
    finally:
        for name in (events.stream, f"{events.stream}_FLOOR"):
            try:
                asyncio.run(_delete_stream(name))
            except Exception as exc:  # cleanup of a benchmark stream is best effort
                print(f"could not delete stream {name}: {exc}")
    b50, b99 = report("backbone", measured)
    f50, f99 = report("floor", floor)
    print(f"ratio      p50={b50 / f50:.2f}x  p99={b99 / f99:.2f}x  "
          f"(goal: p99 < 50 ms and <= 2x floor)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
