"""The on-sale moment: T tickets, B buyers, K attempts each, at 100, 300 and 1,000 connections.

Brings the platform up as `make up` runs it (bench/stack.py: NGINX, gunicorn, every worker),
signs up B buyers and a few sellers (each from a loopback address of its own), then for each
level lists T new tickets and opens that many connections at once, all firing
`POST /api/orders` for random tickets. Connection i acts for buyer i mod B (so with more
connections than buyers, a buyer fires from several at once, as a bot does); each buyer
makes K attempts in all. A client behaves as a well-mannered buyer does: after a 429 or 503
with Retry-After (at most 10 s) it comes back then with the same attempt (keeping its place
in the waiting room), for at most --patience seconds. Every answer is counted.

An unreported warm-up level comes first (open pools and connections, as on a live platform).
Between levels the winners cancel their orders (the cap counts unpaid orders) and the
line and the reservation limits are emptied, so each level starts from the same state.
Use a Redis of your own (BENCH_REDIS_URL): the line's keys are global to a Redis.

    .venv/bin/python -m bench.flash_sale [--tickets 40] [--buyers 200] [--attempts 5]
        [--levels 100,300,1000] [--patience 20] [--env WAITING_ROOM_ADMISSION_RATE=40]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import redis
import sqlalchemy as sa

from bench.flash_client import Answer, Connection
from bench.load import PASSWORD, User, percentile, source_address
from bench.order_creation import REPLICA_COUNT, Accounting, _list_tickets, wait_until
from bench.stack import REDIS_URL, Stack, running_stack

MAX_RETRY_AFTER = 10
WARM_UP_CONNECTIONS = 32
GOAL_P99_MS = 1000.0
ALLOWED = frozenset({201, 409, 429, 503})
# Cheap password hashes: the benchmark measures the on-sale, not sign-up.
BENCH_ENV = {"ARGON2_MEMORY_KIB": "8192", "ARGON2_TIME_COST": "1", "LOG_LEVEL": "WARNING"}
MOST_UNPAID = sa.text(
    "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM orders "
    "WHERE status IN ('created', 'awaiting_payment') GROUP BY user_id) AS held"
)
DOUBLE_LIVE = sa.text(
    "SELECT count(*) FROM (SELECT ticket_id FROM orders "
    "WHERE status IN ('created', 'awaiting_payment', 'complete') "
    "GROUP BY ticket_id HAVING count(*) > 1) AS doubled"
)


@dataclass
class Tally:
    """Every answer of one level."""

    statuses: Counter[int] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    winner_ms: list[float] = field(default_factory=list)
    without_retry_after: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    winners: dict[str, list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))
    won_orders: list[tuple[User, str]] = field(default_factory=list)
    attempted: set[str] = field(default_factory=set)
    positions: list[int] = field(default_factory=list)
    queued_waits: list[float] = field(default_factory=list)
    longest_line: int = 0
    decided_at: list[float] = field(default_factory=list)

    def record(self, answer: Answer, elapsed_ms: float, ticket: str, buyer: User) -> None:
        self.statuses[answer.status] += 1
        self.attempted.add(ticket)
        if answer.status == 0:
            self.errors[answer.error] += 1
            return
        self.latencies_ms.append(elapsed_ms)
        if answer.status in (429, 503) and answer.header_int("Retry-After") is None:
            self.without_retry_after[answer.status] += 1
        position = answer.header_int("Queue-Position")
        if position is not None:
            self.positions.append(position)
        if answer.status in (201, 409):
            self.decided_at.append(time.perf_counter())
        if answer.status == 201 and isinstance(answer.body, dict):
            self.winner_ms.append(elapsed_ms)
            self.winners[ticket].append(buyer.id)
            self.won_orders.append((buyer, str(answer.body["id"])))


def plan(buyers: Sequence[User], attempts: int, connections: int) -> list[list[tuple[User, int]]]:
    """Per connection, the buyers it acts for and how many attempts for each."""
    plans: list[list[tuple[User, int]]] = [[] for _ in range(connections)]
    if connections >= len(buyers):
        for index, buyer in enumerate(buyers):
            mine = list(range(index, connections, len(buyers)))
            for rank, slot in enumerate(mine):
                share = attempts // len(mine) + (1 if rank < attempts % len(mine) else 0)
                if share:
                    plans[slot].append((buyer, share))
    else:
        for index, buyer in enumerate(buyers):
            plans[index % connections].append((buyer, attempts))
    return plans


async def _connection(
    base: str,
    work: list[tuple[User, int]],
    tickets: Sequence[str],
    tally: Tally,
    start: asyncio.Event,
    deadline: float,
    rng: random.Random,
) -> None:
    for turn, (buyer, attempts) in enumerate(work):
        connection = Connection(base, source_address(buyer.index))
        if turn == 0:
            await connection.connect()  # every connection is open when the sale starts
            await start.wait()
        for _ in range(attempts):
            ticket = rng.choice(tickets)
            queued_at: float | None = None
            while True:
                started = time.perf_counter()
                answer = await connection.send(
                    "POST", "/api/orders", {"ticketId": ticket}, buyer.token
                )
                tally.record(answer, (time.perf_counter() - started) * 1000, ticket, buyer)
                if answer.header_int("Queue-Position") is not None and queued_at is None:
                    queued_at = started
                retry = answer.header_int("Retry-After")
                come_back = answer.status in (429, 503) and retry is not None
                if not come_back or retry > MAX_RETRY_AFTER or time.monotonic() + retry > deadline:
                    break
                await asyncio.sleep(retry)
            if queued_at is not None and answer.status != 503:
                tally.queued_waits.append(time.perf_counter() - queued_at)
        connection.close()


async def _watch_line(base: str, token: str, tally: Tally, done: asyncio.Event) -> None:
    """The operators' view of the line, every quarter second."""
    connection = Connection(base, "127.0.0.1")
    while not done.is_set():
        answer = await connection.send("GET", "/api/orders/waiting-room", None, token)
        if answer.status == 200 and isinstance(answer.body, dict):
            tally.longest_line = max(tally.longest_line, int(answer.body["length"]))
        await asyncio.sleep(0.25)
    connection.close()


async def run_level(
    base: str,
    buyers: Sequence[User],
    tickets: Sequence[str],
    attempts: int,
    connections: int,
    patience: float,
) -> tuple[Tally, float]:
    tally, start, done = Tally(), asyncio.Event(), asyncio.Event()
    rng = random.Random(connections)
    deadline = time.monotonic() + patience
    workers = [
        asyncio.create_task(_connection(base, work, tickets, tally, start, deadline, rng))
        for work in plan(buyers, attempts, connections)
        if work
    ]
    await asyncio.sleep(1.0)  # let every connection open
    watcher = asyncio.create_task(_watch_line(base, buyers[0].token, tally, done))
    began = time.perf_counter()
    start.set()
    await asyncio.gather(*workers)
    seconds = time.perf_counter() - began
    done.set()
    await watcher
    return tally, seconds


async def _cancel(base: str, orders: Sequence[tuple[User, str]]) -> None:
    gate = asyncio.Semaphore(16)

    async def one(buyer: User, order_id: str) -> None:
        async with gate:
            connection = Connection(base, source_address(buyer.index))
            await connection.send("POST", f"/api/orders/{order_id}/cancel", {}, buyer.token)
            connection.close()

    await asyncio.gather(*(one(buyer, order_id) for buyer, order_id in orders))


async def _sign_up(base: str, index: int, tag: str) -> User:
    """Sign up and take a bearer token, coming back when told to (a busy auth sheds too)."""
    connection = Connection(base, source_address(index))
    credentials = {"email": f"flash-{tag}-{index}@example.com", "password": PASSWORD}
    answers: list[Answer] = []
    for path, expected in (("/api/users/signup", 201), ("/api/users/tokens", 200)):
        for _ in range(60):
            answer = await connection.send("POST", path, credentials, None)
            if answer.status == expected:
                answers.append(answer)
                break
            retry = answer.header_int("Retry-After")
            if answer.status not in (429, 503) or retry is None:
                raise RuntimeError(f"{path} answered {answer.status}: {answer.body}")
            await asyncio.sleep(min(retry, MAX_RETRY_AFTER))
        else:
            raise RuntimeError(f"{path}: still busy after a minute")
    connection.close()
    created, tokens = answers[0].body, answers[1].body
    return User(index, uuid.UUID(created["id"]), credentials["email"], tokens["accessToken"])


async def sign_up_all(base: str, count: int, tag: str, at_once: int = 8) -> list[User]:
    gate = asyncio.Semaphore(at_once)

    async def one(index: int) -> User:
        async with gate:
            return await _sign_up(base, index, tag)

    return list(await asyncio.gather(*(one(index) for index in range(count))))


def reset_line_and_limits() -> None:
    """Empty the waiting room and the reservation limits between levels."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        for pattern in ("waitingroom:*", "ratelimit:reservations:*"):
            keys = list(client.scan_iter(match=pattern, count=1000))
            for first in range(0, len(keys), 500):
                client.delete(*keys[first : first + 500])
    finally:
        client.close()


def database_figures(stack: Stack) -> tuple[int, int]:
    """(most unpaid orders one buyer holds, tickets with two live orders) from the database."""
    engine = sa.create_engine(stack.database_url("orders"))
    try:
        with engine.connect() as connection:
            most = int(connection.execute(MOST_UNPAID).scalar_one())
            doubled = int(connection.execute(DOUBLE_LIVE).scalar_one())
    finally:
        engine.dispose()
    return most, doubled


def ms(values: Sequence[float], fraction: float) -> str:
    return f"{percentile(values, fraction):.0f}" if values else "-"


def report(
    connections: int, tally: Tally, seconds: float, tickets: int, stack: Stack, cpu: str
) -> list[str]:
    sent = sum(tally.statuses.values())
    answered = sent - tally.statuses[0]
    codes = ", ".join(f"{code}: {count}" for code, count in sorted(tally.statuses.items()))
    odd = sorted(set(tally.statuses) - ALLOWED)
    doubled_answers = sum(1 for ids in tally.winners.values() if len(ids) > 1)
    per_buyer = Counter(buyer.id for buyer, _ in tally.won_orders)
    most_unpaid, doubled_live = database_figures(stack)
    sold, attempted = len(tally.winners), len(tally.attempted)
    all_p99 = percentile(tally.latencies_ms, 0.99) if tally.latencies_ms else float("nan")
    busy = tally.statuses[503] - len(tally.positions)
    span = max(tally.decided_at, default=0) - min(tally.decided_at, default=0)
    decided = len(tally.decided_at) / span if span > 0 else float("nan")
    lines = [
        f"== {connections} connections: {sent} requests in {seconds:.1f} s",
        f"  answered            {100 * answered / max(sent, 1):.1f} % ({answered}/{sent})"
        + (f"; no answer: {dict(tally.errors)}" if tally.errors else ""),
        f"  status codes        {codes}"
        + (f"  (outside 201/409/429/503: {odd})" if odd else "")
        + f"; 503: {len(tally.positions)} with a place in line, {busy} busy",
        f"  decided             {len(tally.decided_at)} reservations answered 201/409, "
        f"{decided:.0f}/s while they lasted",
        "  Retry-After         "
        + (
            "on every 429 and 503"
            if not tally.without_retry_after
            else f"MISSING on {dict(tally.without_retry_after)}"
        ),
        f"  latency, all (ms)   p50 {ms(tally.latencies_ms, 0.5)}  p99 {all_p99:.0f}  "
        f"max {max(tally.latencies_ms, default=0):.0f}"
        f"  (goal p99 <= {GOAL_P99_MS:.0f}: {'met' if all_p99 <= GOAL_P99_MS else 'NOT met'})",
        f"  latency, winners    p50 {ms(tally.winner_ms, 0.5)}  p99 {ms(tally.winner_ms, 0.99)}  "
        f"max {max(tally.winner_ms, default=0):.0f}",
        f"  winners             {sum(len(ids) for ids in tally.winners.values())}; tickets with "
        f"two winners: {doubled_answers} (answers), {doubled_live} (database)",
        f"  tickets sold        {sold} of {tickets} listed, {attempted} attempted"
        + ("" if sold == attempted else "  (NOT every attempted ticket sold)"),
        f"  live orders/buyer   most {max(per_buyer.values(), default=0)} (answers), "
        f"{most_unpaid} (database)",
        f"  waiting room        {len(tally.positions)} answers with a place in line, highest "
        f"position {max(tally.positions, default=0)}, longest line {tally.longest_line}; "
        f"queued buyers admitted after p50 {ms(tally.queued_waits, 0.5)} s, max "
        f"{max(tally.queued_waits, default=0):.1f} s",
        f"  CPU seconds         {cpu}",
    ]
    return lines


def cpu_line(before: dict[str, float], after: dict[str, float]) -> str:
    spent = {name: after[name] - before.get(name, 0.0) for name in after}
    shown = sorted(((seconds, name) for name, seconds in spent.items()), reverse=True)
    return ", ".join(f"{name} {seconds:.1f}" for seconds, name in shown if seconds >= 0.05)


def level(
    stack: Stack,
    buyers: Sequence[User],
    sellers: Sequence[User],
    args: argparse.Namespace,
    connections: int,
    listed_so_far: int,
) -> list[str]:
    tickets = asyncio.run(_list_tickets(stack.gateway_url, sellers, args.tickets, 8))
    wait_until("replica", REPLICA_COUNT, stack.database_url("orders"), listed_so_far)
    reset_line_and_limits()
    accounting = Accounting(stack)
    before = accounting.sample()
    tally, seconds = asyncio.run(
        run_level(
            stack.gateway_url,
            buyers,
            [str(ticket) for ticket in tickets],
            args.attempts,
            connections,
            args.patience,
        )
    )
    after = accounting.sample()
    lines = report(connections, tally, seconds, args.tickets, stack, cpu_line(before, after))
    asyncio.run(_cancel(stack.gateway_url, tally.won_orders))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    extra = dict(BENCH_ENV)
    extra.update(item.split("=", 1) for item in args.env)
    tag = uuid.uuid4().hex[:8]
    with running_stack(extra_env=extra, log_level=extra["LOG_LEVEL"]) as stack:
        users = asyncio.run(sign_up_all(stack.gateway_url, args.buyers + args.sellers, tag))
        buyers, sellers = users[: args.buyers], users[args.buyers :]
        print(
            f"flash sale: {args.tickets} tickets per level, {len(buyers)} buyers, "
            f"{args.attempts} attempts each, settings {extra}"
        )
        # A warm-up level, not reported: services reach a sale with their database pools,
        # threads and kept-alive gateway connections open, as a live platform has them.
        level(stack, buyers, sellers, args, WARM_UP_CONNECTIONS, args.tickets)
        print(f"  (warm-up at {WARM_UP_CONNECTIONS} connections done)", flush=True)
        time.sleep(args.pause)
        for number, connections in enumerate(args.levels, start=2):
            for line in level(stack, buyers, sellers, args, connections, number * args.tickets):
                print(line, flush=True)
            time.sleep(args.pause)
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.flash_sale", description=__doc__)
    parser.add_argument("--tickets", type=int, default=40, help="T: tickets listed per level")
    parser.add_argument("--buyers", type=int, default=200, help="B: buyers")
    parser.add_argument("--attempts", type=int, default=5, help="K: attempts per buyer")
    parser.add_argument("--sellers", type=int, default=4)
    parser.add_argument(
        "--levels",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[100, 300, 1000],
        help="concurrent connections of each level",
    )
    parser.add_argument(
        "--patience", type=float, default=20.0, help="seconds a client keeps coming back"
    )
    parser.add_argument("--pause", type=float, default=3.0, help="seconds between levels")
    parser.add_argument(
        "--env", action="append", default=[], help="NAME=value for the stack (repeatable)"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main())
