"""Event propagation: a ticket change committed -> the row visible in the orders replica.

`--path tickets-orders` (the default and only path): brings the platform up as `make up`
does (bench/stack.py: the machine's PostgreSQL, Redis and NATS, databases and stream of its
own), then, one event at a time, commits a ticket change through the tickets service's own
use case (`TicketService.create`, or `.edit` with `--change edit`: the row and its outbox
record in one transaction) and waits until the row is in the orders service's `tickets`
replica. Between them run the real processes: the tickets relay (woken by the outbox
NOTIFY, publishes to JetStream, waits for the PubAck) and the orders consumer (durable pull,
one transaction with the processed-event mark, ack). The end is seen by LISTEN/NOTIFY: a
trigger created only in this run's orders database notifies on each replica insert/update,
at its commit; no polling.

In the same run, in alternating rounds (load drifting on the machine hits both alike), the
floor of the same path done by hand in this process: insert + commit of the same ticket row
in the tickets database, a raw nats-py JetStream publish (PubAck awaited) and pull of the
same envelope on a stream with the same configuration, insert + commit into the orders
replica.

Prints p50/p99 of both and their ratio twice: from the producer's COMMIT acknowledged (the
issue's measure; the use case's commit is caught by a SQLAlchemy `after_commit` listener
on the benchmark's own session factory) and from the start of the producer's transaction.
Then where the real path's time goes, per event, from timestamps taken on the way: the
publish as a plain NATS subscriber of the subject sees it, the consumer's unit of work
start (the orders `processed_events.processed_at` is its now()); and the CPU the relay,
the consumer and PostgreSQL spent per event.

    .venv/bin/python -m bench.event_propagation [--events 1000] [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import nats
import psycopg
import sqlalchemy as sa
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from api.tickets.models import Ticket
from api.tickets.services import TicketService
from bench.load import percentile
from bench.stack import NATS_URL, Stack, group_cpu, libpq_url, postgres_backends, running_stack
from common.clock import SystemClock
from common.db import Database
from common.events.catalogue import TICKET_CREATED
from common.events.envelope import new_event
from common.events.streams import EventSettings, ensure_consumer, ensure_stream

GOAL_P99_MS, GOAL_RATIO = 50.0, 2.0
CHANNEL = "bench_seen"
# Created in this run's orders database only: tells the benchmark the moment a replica row
# commits (NOTIFY is delivered at commit), at the cost of one trigger call per row.
TRIGGER = [
    f"""CREATE FUNCTION bench_seen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('{CHANNEL}', NEW.id::text || ' ' || NEW.version); RETURN NEW;
        END $$""",
    "CREATE TRIGGER bench_seen AFTER INSERT OR UPDATE ON tickets "
    "FOR EACH ROW EXECUTE FUNCTION bench_seen()",
]
INSERT_TICKET = (
    "INSERT INTO tickets (id, title, price_cents, currency, seller_id, order_id, sold, version, "
    "created_at, updated_at) VALUES (%s, %s, 2000, 'usd', %s, NULL, false, 1, now(), now())"
)
INSERT_REPLICA = (
    "INSERT INTO tickets (id, version, title, price_cents, currency, seller_id, sold, order_id) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, NULL)"
)


@dataclass
class Sample:
    """One event of the real path: wall-clock times (s) of its start, commit and visibility."""

    ticket_id: uuid.UUID
    version: int
    started: float
    committed: float
    seen: float

    @property
    def latency(self) -> float:
        return self.seen - self.started


class TicketsToOrders:
    """A ticket change through the tickets use case -> relay -> JetStream -> orders consumer."""

    def __init__(self, stack: Stack, change: str) -> None:
        self.stack = stack
        self.tickets = TicketService(
            Database.from_url(stack.database_url("tickets")), SystemClock()
        )
        # When PostgreSQL acknowledged the use case's COMMIT, seen without touching the service.
        self.commit_at = 0.0
        sa.event.listen(self.tickets.db.sessions, "after_commit", self._committed)
        self.change = change
        self.seller = uuid.uuid4()
        self.edited: tuple[uuid.UUID, int] | None = None
        self.samples: list[Sample] = []
        # When the relay's publish reached NATS, as a plain subscriber of the subject sees it.
        self.heard: list[tuple[float, bytes]] = []

    async def open(self) -> None:
        self.watcher = await psycopg.AsyncConnection.connect(
            libpq_url(self.stack.prefix + "orders"), autocommit=True
        )
        for statement in TRIGGER:
            await self.watcher.execute(statement)
        await self.watcher.execute(f"LISTEN {CHANNEL}")
        self.nc = await nats.connect(NATS_URL)
        await self.nc.subscribe(self.stack.events.subject("tickets.*"), cb=self._published)

    async def _published(self, message: Msg) -> None:
        # Only noted here: this process shares the CPUs with the path it measures.
        self.heard.append((time.time(), message.data))

    def published(self) -> dict[tuple[str, int], float]:
        """When each (ticket id, version) reached NATS."""
        found = {}
        for at, raw in self.heard:
            data = json.loads(raw)["data"]
            found[(data["id"], int(data["version"]))] = at
        return found

    def _committed(self, session: object) -> None:
        self.commit_at = time.time()

    def _change(self, n: int) -> Ticket:
        if self.change == "edit" and self.edited is not None:
            return self.tickets.edit(self.edited[0], self.seller, f"bench {n}", 2000 + n % 100)
        return self.tickets.create(self.seller, f"bench {n}", 2000)

    async def once(self, n: int) -> float:
        """Seconds from just before the use case to the replica row's commit being seen."""
        started = time.time()
        # In a thread, so this loop stays free to timestamp the relay's publish meanwhile.
        ticket = await asyncio.to_thread(self._change, n)
        committed = self.commit_at
        self.edited = (ticket.id, ticket.version)
        expected = f"{ticket.id} {ticket.version}"
        async for seen in self.watcher.notifies(timeout=30):
            if seen.payload == expected:
                sample = Sample(ticket.id, ticket.version, started, committed, time.time())
                self.samples.append(sample)
                return sample.latency
        raise TimeoutError(f"event {n} never reached the orders replica")

    async def close(self) -> None:
        await self.nc.drain()
        await self.watcher.close()
        self.tickets.db.dispose()


@dataclass
class FloorStages:
    """Seconds per step of the hand-made path."""

    insert: list[float] = field(default_factory=list)
    publish: list[float] = field(default_factory=list)
    fetch: list[float] = field(default_factory=list)
    replica: list[float] = field(default_factory=list)


class Floor:
    """The same hop by hand: insert+commit, publish, pull, insert+commit; no outbox, no relay."""

    def __init__(self, stack: Stack) -> None:
        self.events = EventSettings(
            stream=f"{stack.events.stream}_FLOOR",
            subject_prefix=f"{stack.events.subject_prefix}floor",
        )
        self.producer = psycopg.connect(libpq_url(stack.prefix + "tickets"))
        self.consumer = psycopg.connect(libpq_url(stack.prefix + "orders"))
        self.seller = uuid.uuid4()
        self.stages = FloorStages()
        self.from_commit: list[float] = []
        self.nc: Client | None = None

    async def open(self, nats_url: str) -> None:
        self.nc = await nats.connect(nats_url)
        self.js: JetStreamContext = self.nc.jetstream()
        await ensure_stream(self.js, self.events)  # file storage, like the real stream
        durable = await ensure_consumer(self.js, self.events, "floor", TICKET_CREATED)
        self.subscription = await self.js.pull_subscribe_bind(
            durable=durable, stream=self.events.stream
        )

    async def once(self, n: int) -> float:
        """Seconds from just before the producer's insert to the replica insert's commit."""
        ticket_id, title = uuid.uuid4(), f"floor {n}"
        t0 = time.perf_counter()
        self.producer.execute(INSERT_TICKET, (ticket_id, title, self.seller))
        self.producer.commit()
        t1 = time.perf_counter()
        data = {
            "id": str(ticket_id),
            "version": 1,
            "title": title,
            "priceCents": 2000,
            "currency": "usd",
            "sellerId": str(self.seller),
            "orderId": None,
            "sold": False,
        }
        event = new_event(TICKET_CREATED, data)
        await self.js.publish(
            self.events.subject(TICKET_CREATED),
            event.to_json(),
            stream=self.events.stream,
            headers={"Nats-Msg-Id": str(event.id)},
        )
        t2 = time.perf_counter()
        [message] = await self.subscription.fetch(1, timeout=5)
        t3 = time.perf_counter()
        got = json.loads(message.data)["data"]
        self.consumer.execute(
            INSERT_REPLICA,
            (
                got["id"],
                got["version"],
                got["title"],
                got["priceCents"],
                got["currency"],
                got["sellerId"],
                got["sold"],
            ),
        )
        self.consumer.commit()
        t4 = time.perf_counter()
        await message.ack()
        for stage, seconds in zip(
            (self.stages.insert, self.stages.publish, self.stages.fetch, self.stages.replica),
            (t1 - t0, t2 - t1, t3 - t2, t4 - t3),
            strict=True,
        ):
            stage.append(seconds)
        self.from_commit.append(t4 - t1)
        return t4 - t0

    async def close(self) -> None:
        if self.nc is not None:
            await self.subscription.unsubscribe()
            await self.js.delete_stream(self.events.stream)
            await self.nc.drain()
        self.producer.close()
        self.consumer.close()


async def measure(
    stack: Stack, real: TicketsToOrders, floor: Floor, args: argparse.Namespace
) -> tuple[list[float], dict[str, float]]:
    """Alternate rounds of both paths; CPU per event of the real path's rounds."""
    await real.open()
    await floor.open(NATS_URL)
    floored: list[float] = []
    usage: dict[str, float] = {}
    try:
        for n in range(args.warmup):
            await real.once(n)
            await floor.once(n)
        real.samples.clear()
        floor.stages, floor.from_commit = FloorStages(), []
        # What the idle stack does meanwhile (relays and sweeps poll): subtracted below.
        idle_before, idle_started = _usage(stack), time.monotonic()
        await asyncio.sleep(3)
        idle = _difference(_usage(stack), idle_before)
        idle_seconds = time.monotonic() - idle_started
        print(f"  warmed up with {args.warmup} events each", flush=True)
        per_round = max(1, args.events // args.rounds)
        busy_seconds = 0.0
        while len(real.samples) < args.events:
            chunk = min(per_round, args.events - len(real.samples))
            before, started = _usage(stack), time.monotonic()
            for n in range(len(real.samples), len(real.samples) + chunk):
                await real.once(n)
            busy_seconds += time.monotonic() - started
            for name, value in _difference(_usage(stack), before).items():
                usage[name] = usage.get(name, 0.0) + value
            for n in range(len(floored), len(floored) + chunk):
                floored.append(await floor.once(n))
    finally:
        await floor.close()
        await real.close()
    events = max(len(real.samples), 1)
    per_event = {
        name: (value - idle.get(name, 0.0) * busy_seconds / idle_seconds) / events
        for name, value in usage.items()
    }
    return floored, per_event


def _difference(after: Mapping[str, float], before: Mapping[str, float]) -> dict[str, float]:
    return {name: value - before.get(name, 0.0) for name, value in after.items()}


def _usage(stack: Stack) -> dict[str, float]:
    """CPU seconds so far of the tickets relay, the orders consumer and this run's backends."""
    processes = stack.processes()
    groups = {
        "tickets relay": processes.get("tickets-relay", []),
        "orders consumer": processes.get("orders-consumer", []),
        "postgres": postgres_backends(stack.prefix),
    }
    return {f"cpu {name}": seconds for name, seconds in group_cpu(groups).items()}


def stages(stack: Stack, real: TicketsToOrders) -> dict[str, list[float]]:
    """Per-event seconds of each part of the real path, from the timestamps taken on the way.

    The publish is timed by a plain subscriber of the subject; the orders
    `processed_events.processed_at` is now() of the consumer's transaction, i.e. when its
    unit of work began.
    """
    event_of: dict[tuple[str, int], str] = {}
    engine = sa.create_engine(stack.database_url("tickets"))
    with engine.connect() as connection:
        for aggregate, payload, event_id in connection.execute(
            sa.text("SELECT aggregate_id, payload, event_id FROM outbox_events")
        ):
            key = (str(aggregate), int(json.loads(payload)["data"]["version"]))
            event_of[key] = str(event_id)
    engine.dispose()
    engine = sa.create_engine(stack.database_url("orders"))
    with engine.connect() as connection:
        consumer_began = {
            str(event_id): at
            for event_id, at in connection.execute(
                sa.text("SELECT event_id, processed_at FROM processed_events")
            )
        }
    engine.dispose()
    parts: dict[str, list[float]] = {
        "use case, to its COMMIT acknowledged": [],
        "relay: NOTIFY heard, publish reached NATS": [],
        "JetStream store + consumer fetch, unit of work began": [],
        "consumer transaction -> commit -> NOTIFY seen": [],
    }
    heard = real.published()
    for sample in real.samples:
        key = (str(sample.ticket_id), sample.version)
        published = heard[key]
        consumer = consumer_began[event_of[key]].timestamp()
        for name, seconds in zip(
            parts,
            (
                sample.committed - sample.started,
                published - sample.committed,
                consumer - published,
                sample.seen - consumer,
            ),
            strict=True,
        ):
            parts[name].append(seconds)
    return parts


def report(name: str, latencies: Sequence[float]) -> tuple[float, float]:
    p50, p99 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000
    print(
        f"{name:<9} n={len(latencies)}  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
        f"mean {statistics.fmean(latencies) * 1000:6.2f} ms  max {max(latencies) * 1000:6.2f} ms"
    )
    return p50, p99


def report_stages(title: str, parts: Mapping[str, Sequence[float]]) -> None:
    print(title)
    for name, values in parts.items():
        print(
            f"  {name:<52} p50 {percentile(values, 0.5) * 1000:6.2f} ms  "
            f"p99 {percentile(values, 0.99) * 1000:6.2f} ms"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--path", choices=["tickets-orders"], default="tickets-orders")
    parser.add_argument("--change", choices=["create", "edit"], default="create")
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--log-level", default="INFO", help="LOG_LEVEL of every process (as make up)"
    )
    args = parser.parse_args(argv)
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"event propagation, tickets -> orders replica ({args.change}): {args.events} events "
        f"each, one at a time, {args.rounds} alternating rounds; load average {load}",
        flush=True,
    )
    with running_stack(log_level=args.log_level) as stack:
        real, floor = TicketsToOrders(stack, args.change), Floor(stack)
        floored, per_event = asyncio.run(measure(stack, real, floor, args))
        parts = stages(stack, real)
    print("commit -> row visible in the replica (the issue's measure):")
    r50, r99 = report("  real", [sample.seen - sample.committed for sample in real.samples])
    f50, f99 = report("  floor", floor.from_commit)
    print(f"  ratio   p50 {r50 / f50:.2f}x  p99 {r99 / f99:.2f}x")
    print("start of the producer's transaction -> row visible (includes the change itself):")
    t50, t99 = report("  real", [sample.latency for sample in real.samples])
    u50, u99 = report("  floor", floored)
    print(f"  ratio   p50 {t50 / u50:.2f}x  p99 {t99 / u99:.2f}x")
    report_stages("where the real path's time goes:", parts)
    report_stages(
        "the floor's steps:",
        {
            "insert + commit (tickets database)": floor.stages.insert,
            "JetStream publish (PubAck awaited)": floor.stages.publish,
            "pull (fetch 1)": floor.stages.fetch,
            "insert + commit (orders replica)": floor.stages.replica,
        },
    )
    print(
        "per real event, idle background subtracted: "
        + ", ".join(f"{name} {value * 1000:.2f} ms" for name, value in per_event.items())
    )
    met = r99 < GOAL_P99_MS and r99 <= GOAL_RATIO * f99
    verdict = "met" if met else "NOT met"
    print(f"goal on commit -> visible (p99 < 50 ms, <= 2x the floor's p99): {verdict}")
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average after: {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
