"""Order creation through the gateway: 32 buyers, distinct tickets, and pgbench on the same SQL.

Default (`--through-gateway`): brings the platform up as `make up` does (NGINX gateway,
every service under its gunicorn settings, relays, consumers, Dramatiq workers), on the
machine's PostgreSQL, Redis and NATS with databases, stream and ports of its own. Signs up
sellers and 32 buyers through the gateway (bearer tokens from POST /api/users/tokens), has
the sellers list one ticket per order through the tickets API and waits until the orders
replica holds them all (`--seed replica` writes them straight into both databases instead).
Then the buyers POST /api/orders through the gateway, each on its own kept-alive
connection and its own tickets: orders/s, p50, p99, errors. The events every order causes
(relay, tickets lock, payments replica, expiry scheduling) run meanwhile on the same CPUs,
as they would; the benchmark waits for them to settle after the warm-up and reports how
long they took after the measured run.

In the same run, before the stack comes up, bench/http_floor.py's floor runs at the orders
service's gunicorn settings (its `sql` level; `pay` with --pay), and the issue #14 ratios
are printed: throughput and p99 against the floor's, and CPU per order counted over every
process until the events settle against the floor's CPU per order (the load generator's
own CPU is left out of both). pgbench with the same number of clients then runs the
equivalent transaction (bench/pgbench_orders.py) on a database migrated like the orders one.

`--pay` buys instead (bench/buyers.py): each buyer reserves, pays with the stand-in's test
card and goes on; the run ends when every ticket is sold (the saga complete: payment
succeeded, order complete, ticket sold) and prints completed purchases/s and CPU per
completed purchase against the floor's `pay` level.

`--direct` is the older mode: the orders app alone under a gunicorn started here (no
gateway, no other process), with self-issued tokens; it isolates the app's own cost.

    .venv/bin/python -m bench.order_creation [--orders 6000] [--clients 32]
    .venv/bin/python -m bench.order_creation --pay --orders 2000 --warmup 200
    .venv/bin/python -m bench.order_creation --direct --worker-class sync --workers 4
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import jwt
import sqlalchemy as sa

from bench.buyers import GOAL_P99_MS, GOAL_RATE, drive_orders, drive_purchases
from bench.http_floor import ORDERS, FloorRun, run_floor
from bench.load import (
    GATEWAY_INFLIGHT,
    Figures,
    HttpConnection,
    User,
    sign_up_many,
    source_address,
)
from bench.pgbench_orders import SEED_REPLICA, pgbench, prepare_pgbench_database
from bench.stack import (
    ROOT,
    SERVER_URL,
    Stack,
    group_cpu,
    group_memory,
    postgres_backends,
    running_stack,
    server_url,
)
from devstack.cleanup import drop_databases
from devstack.devkeys import new_key_pair

# The on-sale protections stay on (their checks run on every order) but with limits no
# benchmark buyer reaches: each buyer here holds hundreds of unpaid orders, fast.
UNREACHED_LIMITS = {
    "ORDERS_MAX_LIVE_PER_BUYER": "1000000",
    "ORDERS_ATTEMPTS_PER_BUYER": "1000000",
    "ORDERS_ATTEMPTS_PER_ADDRESS": "1000000",
    "WAITING_ROOM_PASS_SECONDS": "3600",
}
# Issue #14: against the floor in the same run.
GOAL_RATE_RATIO, GOAL_P99_RATIO, GOAL_CPU_RATIO = 0.7, 1.5, 2.0
SETTLE_TIMEOUT_SECONDS = 900.0

SEED_TICKETS_SERVICE = """
INSERT INTO tickets (id, version, title, price_cents, currency, seller_id, sold, order_id,
                     created_at, updated_at)
SELECT md5(:tag || n)::uuid, 1, 'Bench ticket ' || n, 2000, 'usd',
       (:sellers)[1 + n % array_length(:sellers, 1)], false, NULL, now(), now()
FROM generate_series(1, :count) AS n
"""


# ----------------------------------------------------------------- through the gateway


def wait_until(what: str, ready: sa.TextClause, url: str, expected: int) -> float:
    """Poll `ready` (a count) on `url` until it reaches `expected`; seconds it took."""
    engine = sa.create_engine(url)
    started = time.monotonic()
    try:
        with engine.connect() as connection:
            while True:
                count = int(connection.execute(ready).scalar_one())
                connection.rollback()
                if count >= expected:
                    return time.monotonic() - started
                if time.monotonic() - started > SETTLE_TIMEOUT_SECONDS:
                    raise SystemExit(
                        f"{what}: {count} of {expected} after {SETTLE_TIMEOUT_SECONDS}s"
                    )
                time.sleep(0.1)
    finally:
        engine.dispose()


REPLICA_COUNT = sa.text("SELECT count(*) FROM tickets")
LOCKED_COUNT = sa.text("SELECT count(*) FROM tickets WHERE order_id IS NOT NULL")
SOLD_COUNT = sa.text("SELECT count(*) FROM tickets WHERE sold")
COMPLETE_COUNT = sa.text("SELECT count(*) FROM orders WHERE status = 'complete'")


async def _list_tickets(
    base: str, sellers: Sequence[User], count: int, connections: int
) -> list[uuid.UUID]:
    """POST /api/tickets `count` times, spread over the sellers, `connections` at a time."""
    made: list[uuid.UUID] = []

    async def lister(slot: int) -> None:
        seller = sellers[slot % len(sellers)]
        connection = HttpConnection(base, source_address(seller.index))
        for n in range(slot, count, connections):
            body = {"title": f"Bench ticket {n}", "price": "20.00"}
            status, ticket = await connection.json("POST", "/api/tickets", body, seller.token)
            if status != 201:
                raise RuntimeError(f"POST /api/tickets answered {status}: {ticket}")
            made.append(uuid.UUID(ticket["id"]))
        connection.close()

    await asyncio.gather(*(lister(slot) for slot in range(connections)))
    return made


def seed(stack: Stack, how: str, sellers: Sequence[User], count: int, tag: str) -> list[uuid.UUID]:
    """`count` free tickets known to the tickets service and to the orders replica."""
    if how == "api":
        tickets = asyncio.run(_list_tickets(stack.gateway_url, sellers, count, 16))
        waited = wait_until("replica", REPLICA_COUNT, stack.database_url("orders"), count)
        print(f"  listed {count} tickets through the API; replica complete {waited:.1f}s later")
        return tickets
    seller_ids = [seller.id for seller in sellers]
    for service, statement in (("tickets", SEED_TICKETS_SERVICE), ("orders", SEED_REPLICA)):
        engine = sa.create_engine(stack.database_url(service))
        with engine.begin() as connection:
            params = {"tag": tag, "count": count, "sellers": seller_ids}
            connection.execute(sa.text(statement), params)
            connection.execute(sa.text("ANALYZE tickets"))
        engine.dispose()
    engine = sa.create_engine(stack.database_url("orders"))
    with engine.connect() as connection:
        ids = connection.scalars(sa.text("SELECT id FROM tickets ORDER BY title")).all()
    engine.dispose()
    print(f"  wrote {count} tickets straight into the tickets table and the orders replica")
    return list(ids)


class Accounting:
    """CPU seconds of each process of the stack, its PostgreSQL backends and this client."""

    SERVICES = frozenset({"web", "auth", "tickets", "payments"})

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.pids: dict[str, set[int]] = {}

    def sample(self) -> dict[str, float]:
        """CPU seconds so far per Procfile name, "postgres" and "client"."""
        for name, pids in self.stack.processes().items():
            self.pids.setdefault(name, set()).update(pids)
        backends = self.pids.setdefault("postgres", set())
        backends.update(postgres_backends(self.stack.prefix))
        totals = group_cpu(self.pids)
        totals["client"] = time.process_time()
        return totals

    @classmethod
    def group(cls, name: str) -> str:
        if name in ("gateway", "orders", "honcho", "postgres", "client"):
            return name
        return "other services" if name in cls.SERVICES else "workers"

    @classmethod
    def lines(
        cls, label: str, before: Mapping[str, float], after: Mapping[str, float], n: int
    ) -> list[str]:
        """ms of CPU per order by group, then the workers one by one."""
        spent = {name: (after[name] - before.get(name, 0.0)) / n * 1000 for name in after}
        groups: dict[str, float] = {}
        for name, ms in spent.items():
            groups[cls.group(name)] = groups.get(cls.group(name), 0.0) + ms
        workers = sorted(
            ((ms, name) for name, ms in spent.items() if cls.group(name) == "workers"),
            reverse=True,
        )
        return [
            f"{label:<28} "
            + ", ".join(f"{name} {ms:.2f}" for name, ms in groups.items())
            + f"  = {sum(groups.values()):.2f} ms CPU per order",
            f"{'  of which workers':<28} "
            + ", ".join(f"{name} {ms:.2f}" for ms, name in workers if ms >= 0.01),
        ]


def total_cpu(before: Mapping[str, float], after: Mapping[str, float], n: int) -> float:
    """CPU ms per order over every process of the stack, the load generator left out."""
    return sum(after[name] - before.get(name, 0.0) for name in after if name != "client") * 1000 / n


def run_floor_first(args: argparse.Namespace) -> FloorRun:
    """The floor at the orders service's gunicorn settings, as bench/http_floor.py runs it."""

    level = "pay" if args.pay else "sql"
    floor_args = argparse.Namespace(
        clients=args.clients,
        orders=args.orders,
        warmup=args.warmup,
        worker_class=ORDERS.worker_class,
        workers=ORDERS.workers,
        threads=ORDERS.threads,
    )
    floor = run_floor([level], floor_args)[level]
    print(f"  {floor.figures.line()}\n{floor.cpu_line()}", flush=True)
    return floor


def ratio_lines(floor: FloorRun, app: Figures, rate: float, cpu: float) -> list[str]:
    """Issue #14's ratios of the product to the floor, each with its goal."""
    what = "purchases" if app.label.startswith("purchase") else "orders"
    checks = [
        (f"{what}/s", rate / floor.figures.rate, GOAL_RATE_RATIO, True),
        ("p99", app.percentile(0.99) / floor.figures.percentile(0.99), GOAL_P99_RATIO, False),
        (f"CPU per {what[:-1]}", cpu / floor.cpu_per_order, GOAL_CPU_RATIO, False),
    ]
    lines = [f"ratios to the floor ({floor.figures.label}, same run, same gunicorn settings):"]
    for name, value, goal, at_least in checks:
        met = value >= goal if at_least else value <= goal
        sign = ">=" if at_least else "<="
        lines.append(
            f"  {name:<24} {value:6.2f}  goal {sign} {goal}: {'met' if met else 'NOT met'}"
        )
    return lines


def memory_lines(stack: Stack, label: str) -> list[str]:
    """Memory of each HTTP service (all its gunicorn processes): RSS and PSS in MiB."""
    groups = stack.processes()
    sizes = group_memory(
        {name: groups[name] for name in ("web", "auth", "tickets", "orders", "payments", "gateway")
         if name in groups}
    )  # fmt: skip
    total_rss = sum(rss for rss, _ in sizes.values()) / 1024
    total_pss = sum(pss for _, pss in sizes.values()) / 1024
    parts = [f"{name} {pss / 1024:.0f}" for name, (_, pss) in sizes.items()]
    return [
        f"{label:<28} PSS MiB: {', '.join(parts)}; services + gateway: "
        f"PSS {total_pss:.0f} MiB, RSS {total_rss:.0f} MiB"
    ]


def gunicorn_settings(stack: Stack, service: str) -> str:
    """The gunicorn options of a service, read back from the Procfile `up` wrote."""
    for line in (stack.run_dir / "Procfile").read_text().splitlines():
        if line.startswith(f"{service}: "):
            options = re.findall(r"(-k \S+|-w \S+|--threads \S+)", line)
            return " ".join(options)
    return "?"


def through_gateway(args: argparse.Namespace) -> None:
    tag = uuid.uuid4().hex[:8]
    total = args.warmup + args.orders
    floor = run_floor_first(args) if args.floor else None
    run = drive_purchases if args.pay else drive_orders
    label = "purchases (order + pay)" if args.pay else "POST /api/orders"
    # Settled: every ticket locked (orders) or sold (purchases) by the tickets consumer.
    settled_count = SOLD_COUNT if args.pay else LOCKED_COUNT
    with running_stack(
        gateway=args.gateway, log_level=args.log_level, extra_env=UNREACHED_LIMITS
    ) as stack:
        print(
            f"stack up: gateway {stack.gateway_url}; orders service gunicorn "
            f"{gunicorn_settings(stack, 'orders')}"
        )
        for line in memory_lines(stack, "memory, idle"):
            print(line)
        users = asyncio.run(sign_up_many(stack.gateway_url, 0, args.clients + args.sellers, tag))
        buyers, sellers = users[: args.clients], users[args.clients :]
        print(f"  {len(buyers)} buyers and {len(sellers)} sellers signed up, bearer tokens issued")
        tickets = seed(stack, args.seed, sellers, total, tag)
        buyer_tokens = [(user.index, user.token) for user in buyers]
        tickets_db = stack.database_url("tickets")

        warmup = run(stack.gateway_url, buyer_tokens, tickets[: args.warmup], "warm-up")
        settled = wait_until("warm-up", settled_count, tickets_db, warmup.count)
        print(f"  {warmup.line()}\n  its events settled {settled:.1f}s after it ended")

        accounting = Accounting(stack)
        before = accounting.sample()
        app = run(stack.gateway_url, buyer_tokens, tickets[args.warmup :], label)
        during = accounting.sample()
        settled = wait_until("settling", settled_count, tickets_db, warmup.count + app.count)
        after = accounting.sample()
        memory = memory_lines(stack, "memory, after the load")
        end_to_end = app.count / (app.seconds + settled)
        if args.pay:
            complete = wait_until(
                "complete orders",
                COMPLETE_COUNT,
                stack.database_url("orders"),
                warmup.count + app.count,
            )
            print(f"  every order complete {complete:.1f}s after the last ticket was sold")

        print(app.line())
        print(
            f"{'events settled':<28} {settled:7.1f} s after the last request (tickets "
            f"{'sold' if args.pay else 'locked'} by the tickets consumer): "
            f"{end_to_end:.0f} {'completed purchases' if args.pay else 'orders'}/s end to end"
        )
        for line in [
            *Accounting.lines("CPU ms/order, during load", before, during, max(app.count, 1)),
            *Accounting.lines("CPU ms/order, until settled", before, after, max(app.count, 1)),
        ]:
            print(line)
        for line in memory:
            print(line)
        if floor is not None:
            cpu = total_cpu(before, after, max(app.count, 1))
            rate = end_to_end if args.pay else app.rate
            for line in ratio_lines(floor, app, rate, cpu):
                print(line)
        if args.pgbench:
            database = prepare_pgbench_database(
                f"{stack.prefix}pgbench", 2 * args.orders + 1000, tag
            )
            bench = pgbench(database, args.pgbench_clients, args.orders, tag)
    if args.pgbench:
        print(bench.line())
        print(f"{'ratio app/pgbench':<28} {app.rate / bench.rate:7.2f}")
    report_goal(app)


def report_goal(app: Figures) -> None:
    print(
        f"{'load average after':<28} {os.getloadavg()[0]:7.1f}  "
        "(other work on this machine competes for the same CPUs)"
    )
    met = app.rate >= GOAL_RATE and app.percentile(0.99) < GOAL_P99_MS and app.errors == 0
    print(f"goal (>= 500 orders/s, p99 < 100 ms, no errors): {'met' if met else 'NOT met'}")


# ----------------------------------------------------------------------- direct (older)


def _token(private_key: str, user_id: uuid.UUID) -> str:
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "email": f"{user_id.hex[:12]}@bench.example",
        "type": "access",
        "fresh": False,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "iss": "ticketing",
        "csrf": str(uuid.uuid4()),
    }
    return jwt.encode(claims, private_key, algorithm="RS256")


@contextmanager
def own_gunicorn(database_url: str, public_key: str, args: argparse.Namespace) -> Iterator[str]:
    """The orders app alone under gunicorn on a free port; its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JWT_ALGORITHM": "RS256",
        "JWT_PUBLIC_KEY": public_key,
        "LOG_LEVEL": "WARNING",
    }
    argv = [
        sys.executable, "-m", "gunicorn", "--no-control-socket", "-k", args.worker_class,
        "-w", str(args.workers), "--threads", str(args.threads), "--backlog", "2048",
        "-b", f"127.0.0.1:{port}", "--log-level", "warning", "api.orders.app:create_app()",
    ]  # fmt: skip
    process = subprocess.Popen(argv, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def direct(args: argparse.Namespace) -> None:
    tag = uuid.uuid4().hex[:8]
    prefix = f"ticketing_bench_{tag}_"
    private, public = new_key_pair()
    try:
        database = prepare_pgbench_database(f"{prefix}orders", 0, tag)
        url = server_url(database)
        total = args.warmup + args.orders
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            params = {"tag": f"{tag}app", "count": total, "sellers": [uuid.uuid4()]}
            connection.execute(sa.text(SEED_REPLICA), params)
            tickets = [
                uuid.UUID(str(ticket))
                for ticket in connection.scalars(
                    sa.text("SELECT id FROM tickets ORDER BY title")
                ).all()
            ]
        engine.dispose()
        buyers = [(i, _token(private, uuid.uuid4())) for i in range(args.clients)]
        with own_gunicorn(url, public, args) as base:
            drive_orders(base, buyers, tickets[: args.warmup], "warm-up")
            app = drive_orders(base, buyers, tickets[args.warmup :], "POST /api/orders (direct)")
        prepare_pgbench_database(f"{prefix}pgbench", 2 * args.orders + 1000, tag)
        bench = pgbench(f"{prefix}pgbench", args.pgbench_clients, args.orders, tag)
    finally:
        drop_databases(SERVER_URL, prefix)
    print(app.line())
    print(bench.line())
    print(f"{'ratio app/pgbench':<28} {app.rate / bench.rate:7.2f}")
    report_goal(app)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--through-gateway",
        dest="direct",
        action="store_false",
        help="the whole stack as `make up` runs it, orders through NGINX (default)",
    )
    mode.add_argument(
        "--direct", action="store_true", help="the orders app alone under its own gunicorn"
    )
    parser.set_defaults(direct=False)
    parser.add_argument("--clients", type=int, default=GATEWAY_INFLIGHT)
    parser.add_argument("--orders", type=int, default=6000, help="orders in the measured run")
    parser.add_argument("--warmup", type=int, default=600, help="orders before measuring")
    parser.add_argument("--sellers", type=int, default=8, help="accounts listing the tickets")
    parser.add_argument("--pgbench-clients", type=int, default=32)
    parser.add_argument(
        "--pay", action="store_true", help="whole purchases: reserve, pay, wait until sold"
    )
    parser.add_argument(
        "--no-floor", dest="floor", action="store_false", help="skip the floor run and ratios"
    )
    parser.add_argument(
        "--no-pgbench", dest="pgbench", action="store_false", help="skip the pgbench run"
    )
    parser.add_argument("--seed", choices=["api", "replica"], default="api")
    parser.add_argument("--gateway", choices=["nginx", "python"], default="nginx")
    parser.add_argument(
        "--log-level", default="INFO", help="LOG_LEVEL of every process (as make up)"
    )
    # --direct: the local stack's gunicorn settings (devstack/services.py) unless told.
    parser.add_argument("--worker-class", default="gthread", help="--direct: gunicorn -k")
    parser.add_argument("--workers", type=int, default=1, help="--direct: gunicorn -w")
    parser.add_argument("--threads", type=int, default=8, help="--direct: gunicorn --threads")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"order creation, {'direct' if args.direct else 'through the gateway'}: {args.clients} "
        f"clients, {args.orders} orders after {args.warmup} warm-up; {os.cpu_count()} CPUs; "
        f"load average {' '.join(f'{load:.1f}' for load in os.getloadavg())}",
        flush=True,
    )
    if args.direct:
        direct(args)
    else:
        through_gateway(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
