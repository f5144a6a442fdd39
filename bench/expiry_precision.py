"""Expiry precision: how late unpaid orders are cancelled, with 10,000 expiring at once.

Inserts N orders with a short lifetime straight into a scratch orders database and
publishes their orders.created to a private stream. The real processes take it from
there: the expiration scheduler (`python -m workers.expiration.scheduler`) sends each a
delayed expire_order, the Dramatiq worker (`dramatiq workers.expiration.actors`) publishes
expiration.completed, the orders consumer (`python -m workers.orders.consumer`) cancels,
and the sweep (`python -m workers.orders.sweep`) cancels whatever is overdue. Lateness is
commit time (seen through a trigger's NOTIFY) minus expiresAt; "missed" are orders still
unpaid when the benchmark gives up waiting.

    .venv/bin/python -m bench.expiry_precision [--orders 10000] [--lifetime 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import nats
import psycopg
import redis
import sqlalchemy as sa
from nats.aio.msg import Msg
from sqlalchemy.engine import make_url

from api.orders.models import ORDERS
from common.clock import isoformat_z
from common.config import normalise_database_url
from common.db import Database
from common.db.migrate import upgrade
from common.events.catalogue import ORDER_CREATED
from common.events.envelope import new_event
from common.events.streams import EventSettings, ensure_stream
from workers.runtime import psycopg_conninfo

SERVER_URL = normalise_database_url(
    os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
)
NATS_URL = os.environ.get("BENCH_NATS_URL", "nats://127.0.0.1:4222")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
INSERT_BATCH = 100


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def admin(statement: str) -> None:
    engine = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(statement))
    engine.dispose()


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """A migrated orders database that tells every cancellation at its commit; dropped after."""
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    upgrade("orders", url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "CREATE FUNCTION bench_cancelled() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN PERFORM pg_notify('bench_cancelled', NEW.id::text); RETURN NEW; END $$"
            )
        )
        connection.execute(
            sa.text(
                "CREATE TRIGGER bench_cancelled AFTER UPDATE OF status ON orders FOR EACH ROW "
                "WHEN (NEW.status = 'cancelled') EXECUTE FUNCTION bench_cancelled()"
            )
        )
    engine.dispose()
    try:
        yield url
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def order_rows(count: int, lifetime: float) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        {
            "id": uuid.uuid4(),
            "ticket_id": uuid.uuid4(),
            "user_id": uuid.uuid4(),
            "status": "created",
            "version": 1,
            "ticket_title": "Benchmark gig",
            "price_cents": 2500,
            "currency": "usd",
            "reason": None,
            "reason_detail": None,
            "expires_at": now + timedelta(seconds=lifetime),
            "created_at": now,
            "updated_at": now,
        }
        for _ in range(count)
    ]


def created_event(row: dict[str, Any]) -> bytes:
    data = {
        "id": str(row["id"]),
        "version": 1,
        "status": "created",
        "ticketId": str(row["ticket_id"]),
        "userId": str(row["user_id"]),
        "expiresAt": isoformat_z(row["expires_at"]),
        "priceCents": row["price_cents"],
        "currency": row["currency"],
        "reason": None,
    }
    return new_event(ORDER_CREATED, data).to_json()


async def create_orders(
    db: Database, events: EventSettings, count: int, lifetime: float, spread: float
) -> list[dict[str, Any]]:
    """Insert the orders at an even pace over `spread` seconds, announcing each batch."""
    rows: list[dict[str, Any]] = []
    nc = await nats.connect(NATS_URL)
    try:
        js = nc.jetstream()
        subject = events.subject(ORDER_CREATED)
        batches = max(1, -(-count // INSERT_BATCH))
        started = time.monotonic()
        for index in range(batches):
            await asyncio.sleep(max(0.0, started + index * spread / batches - time.monotonic()))
            batch = order_rows(min(INSERT_BATCH, count - len(rows)), lifetime)
            with db.transaction() as session:
                session.execute(sa.insert(ORDERS), batch)
            await asyncio.gather(*(js.publish(subject, created_event(row)) for row in batch))
            rows += batch
    finally:
        await nc.drain()
    return rows


async def delete_stream(name: str) -> None:
    nc = await nats.connect(NATS_URL)
    try:
        await nc.jetstream().delete_stream(name)
    finally:
        await nc.drain()


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", *args], env=env, stderr=subprocess.DEVNULL)


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


class PublishedWatch:
    """Notes when each expiration.completed is published (a plain NATS subscription)."""

    def __init__(self, events: EventSettings) -> None:
        self.subject = events.subject("expiration.completed")
        self.times: dict[str, float] = {}
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._watch()), daemon=True)

    async def _watch(self) -> None:
        nc = await nats.connect(NATS_URL)

        async def seen(message: Msg) -> None:
            order_id = json.loads(message.data)["data"]["orderId"]
            self.times.setdefault(order_id, time.time())

        await nc.subscribe(self.subject, cb=seen)
        self._ready.set()
        while not self._stop.is_set():
            await asyncio.sleep(0.1)
        await nc.drain()

    def __enter__(self) -> PublishedWatch:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


class CancellationWatch:
    """Notes when each order's cancellation commits (the trigger's NOTIFY arrives)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.times: dict[uuid.UUID, float] = {}
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        with psycopg.connect(psycopg_conninfo(self.url), autocommit=True) as connection:
            connection.execute("LISTEN bench_cancelled")
            self._ready.set()
            while not self._stop.is_set():
                for notice in connection.notifies(timeout=0.2, stop_after=1000):
                    self.times.setdefault(uuid.UUID(notice.payload), time.time())

    def __enter__(self) -> CancellationWatch:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--lifetime", type=float, default=5.0)
    parser.add_argument(
        "--spread", type=float, default=5.0, help="seconds over which the orders are created"
    )
    parser.add_argument("--processes", default="1", help="Dramatiq worker processes")
    parser.add_argument("--threads", default="8", help="Dramatiq threads per process")
    parser.add_argument("--consumers", type=int, default=1, help="orders consumer replicas")
    parser.add_argument("--sweep-seconds", default=os.environ.get("EXPIRATION_SWEEP_SECONDS", "2"))
    parser.add_argument("--grace", type=float, default=30.0, help="seconds to wait after expiry")
    options = parser.parse_args()
    tag = uuid.uuid4().hex[:10]
    events = EventSettings(stream=f"BENCH_EXPIRY_{tag}", subject_prefix=f"bench_expiry_{tag}")
    namespace = f"bench-expiry-{tag}"
    with scratch_database(f"ticketing_bench_expiry_{tag}") as url:
        env = {
            **os.environ,
            "APP_ENV": "development",
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "NATS_URL": NATS_URL,
            "DRAMATIQ_NAMESPACE": namespace,
            "EVENTS_STREAM": events.stream,
            "EVENTS_SUBJECT_PREFIX": events.subject_prefix,
            "EXPIRATION_SWEEP_SECONDS": options.sweep_seconds,
            "LOG_LEVEL": "WARNING",
        }
        asyncio.run(ensure_stream_only(events))
        processes = [
            *(start(["workers.orders.consumer"], env) for _ in range(options.consumers)),
            start(["workers.orders.sweep"], env),
            start(["workers.expiration.scheduler"], env),
            start(
                [
                    "dramatiq",
                    "workers.expiration.actors",
                    "-p",
                    options.processes,
                    "-t",
                    options.threads,
                ],
                env,
            ),
        ]
        try:
            time.sleep(3)  # every process connected and bound its durable consumer
            result = run(url, events, options)
        finally:
            stop(processes)
            asyncio.run(delete_stream(events.stream))
            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"{namespace}*"):
                client.delete(key)
    report(result, options)
    return 0


async def ensure_stream_only(events: EventSettings) -> None:
    nc = await nats.connect(NATS_URL)
    try:
        await ensure_stream(nc.jetstream(), events)
    finally:
        await nc.drain()


def run(url: str, events: EventSettings, options: argparse.Namespace) -> dict[str, Any]:
    """Create and announce the orders, then collect when each one's cancellation committed."""
    db = Database.from_url(url)
    count = options.orders
    with PublishedWatch(events) as watch, CancellationWatch(url) as cancelled:
        started = time.time()
        rows = asyncio.run(create_orders(db, events, count, options.lifetime, options.spread))
        announced = time.time() - started
        deadline = max(row["expires_at"] for row in rows).timestamp() + options.grace
        while len(cancelled.times) < count and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(0.5)  # the last notifications
    seen = cancelled.times
    lateness = [
        seen[row["id"]] - row["expires_at"].timestamp() for row in rows if row["id"] in seen
    ]
    published = [
        watch.times[str(row["id"])] - row["expires_at"].timestamp()
        for row in rows
        if str(row["id"]) in watch.times
    ]
    with db.transaction() as session:
        by_sweep = session.scalar(
            sa.text("SELECT count(*) FROM order_steps WHERE detail LIKE '%(sweep)%'")
        )
        unpaid = session.scalar(sa.text("SELECT count(*) FROM orders WHERE status = 'created'"))
        stamped = [
            float(late)
            for late in session.scalars(
                sa.text(
                    "SELECT extract(epoch FROM updated_at - expires_at) FROM orders "
                    "WHERE status = 'cancelled'"
                )
            )
        ]
    db.dispose()
    lateness = [
        seen[row["id"]] - row["expires_at"].timestamp() for row in rows if row["id"] in seen
    ]
    return {
        "announced": announced,
        "lateness": lateness,
        "missed": count - len(lateness),
        "unpaid": unpaid,
        "by_sweep": by_sweep,
        "stamped": stamped,
        "published": published,
    }


def report(result: dict[str, Any], options: argparse.Namespace) -> None:
    lateness: list[float] = result["lateness"]
    print(
        f"orders: {options.orders} created over {options.spread} s, lifetime "
        f"{options.lifetime} s, sweep every "
        f"{options.sweep_seconds} s, dramatiq -p {options.processes} -t {options.threads}, "
        f"{options.consumers} orders consumer(s)"
    )
    print(f"orders inserted and orders.created published over {result['announced']:.2f} s")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if lateness:
        print(
            "cancellation lateness (commit - expiresAt): "
            f"p50 {percentile(lateness, 0.5):.3f} s, p99 {percentile(lateness, 0.99):.3f} s, "
            f"max {max(lateness):.3f} s, min {min(lateness):.3f} s"
        )
    published: list[float] = result["published"]
    if published:
        print(
            f"expiration.completed published for {len(published)}: lateness "
            f"p50 {percentile(published, 0.5):.3f} s, p99 {percentile(published, 0.99):.3f} s, "
            f"max {max(published):.3f} s"
        )
    stamped: list[float] = result["stamped"]
    if stamped:
        print(
            "transition stamp lateness (updated_at - expiresAt): "
            f"p50 {percentile(stamped, 0.5):.3f} s, p99 {percentile(stamped, 0.99):.3f} s, "
            f"max {max(stamped):.3f} s"
        )
    print(
        f"cancelled by the expiry event: {len(lateness) - result['by_sweep']}, "
        f"by the sweep: {result['by_sweep']}"
    )
    print(f"missed (not cancelled within the grace period): {result['missed']}")
    print(f"still unpaid at the end: {result['unpaid']}")


if __name__ == "__main__":
    raise SystemExit(main())
