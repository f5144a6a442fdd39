"""The ceiling this machine puts on order creation through the gateway, whatever the app does.

Runs bench/floor_app.py (plain Flask, no flask-smorest, no tokens, no SQLAlchemy, no
events downstream) under gunicorn with the orders service's settings (devstack/
services.py) behind NGINX configured like the gateway (deploy/nginx), and drives it with
the same 32 buyers as bench/order_creation.py (same client code, kept-alive connections,
distinct tickets). Two levels, each its own run:

- `flask`: the request parsed and answered, no database: the HTTP stack alone.
- `sql`: plus OrderService.create's statements with raw psycopg in one transaction.
- `pay`: whole purchases (bench/buyers.py): `sql`, then POST /api/payments, which charges
  through the Stripe stand-in and completes the order in one transaction (bench/floor_app.py).

No real order can be cheaper than the `sql` level: it has every HTTP and database step of
one and none of the product's own code. So if the `sql` level does not reach the issue's
goal (>= 500 orders/s, p99 < 100 ms) on a machine, the product cannot on that machine. The
CPU the load generator itself (this process) spends per request is printed too: it shares
the same CPUs, as it does in bench/order_creation.py.

CPU per order is the CPU time every process the floor runs spent during the measured run
(gunicorn and its workers, NGINX, the PostgreSQL backends, the stand-in at `pay`), divided
by the orders (purchases at `pay`); the load generator's is printed apart, as in
bench/order_creation.py. `run_floor()` is what bench/order_creation.py calls to print its
ratios against the floor in the same run.

    .venv/bin/python -m bench.http_floor [--orders 4000] [--levels flask,sql,pay]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bench.buyers import GOAL_P99_MS, GOAL_RATE, drive_orders, drive_purchases
from bench.floor_app import PAYMENTS_TABLE, STANDIN_KEY
from bench.load import GATEWAY_INFLIGHT, Figures
from bench.pgbench_orders import SEED_REPLICA, prepare_pgbench_database
from bench.stack import (
    ROOT,
    SERVER_URL,
    free_block,
    group_cpu,
    libpq_url,
    postgres_backends,
    server_url,
)
from deploy.gateway.routes import Route, RouteTable, Upstream
from deploy.nginx.render import nginx_command, remove_page_cache, write_config
from devstack.cleanup import drop_databases
from devstack.gateway_process import find_nginx
from devstack.processes import descendants_of, wait_for_port
from devstack.procfile import gunicorn_argv
from devstack.services import SERVICES

ORDERS = next(service for service in SERVICES if service.name == "orders")
LEVELS = ("flask", "sql", "pay")

# Procfile-like name -> pids of the floor's processes right now.
Processes = Callable[[], dict[str, list[int]]]


@dataclass(frozen=True)
class FloorRun:
    """One level's figures, its CPU ms per order by process, and the load generator's."""

    figures: Figures
    cpu_ms: dict[str, float]
    client_cpu_ms: float

    @property
    def cpu_per_order(self) -> float:
        """CPU ms per order (per purchase at `pay`) over every process of the floor."""
        return sum(self.cpu_ms.values())

    def cpu_line(self) -> str:
        parts = ", ".join(f"{name} {ms:.2f}" for name, ms in self.cpu_ms.items())
        return (
            f"  CPU ms per {'purchase' if self.figures.label.endswith('pay') else 'order'}: "
            f"{parts}  = {self.cpu_per_order:.2f} (load generator {self.client_cpu_ms:.2f} apart)"
        )


@contextmanager
def floor_gateway(
    level: str, database: str, args: argparse.Namespace, folder: Path
) -> Iterator[tuple[str, Processes]]:
    """The floor app under gunicorn behind NGINX (and the stand-in at `pay`): URL, pids."""
    nginx = find_nginx()
    if nginx is None:
        raise SystemExit("nginx not found: apt-get install -y nginx")
    base = free_block()
    app_port, gateway_port, stripe_port = base, base + 1, base + 2
    env = {
        **os.environ,
        "FLOOR_LEVEL": level,
        "FLOOR_DATABASE": libpq_url(database),
        "FLOOR_STRIPE": f"http://127.0.0.1:{stripe_port}",
    }
    argv = gunicorn_argv(
        sys.executable,
        "bench.floor_app:create_app()",
        app_port,
        args.threads,
        workers=args.workers,
        worker_class=args.worker_class,
    )
    upstream = Upstream("127.0.0.1", app_port)
    routes = RouteTable(
        (Route("/api/orders", upstream), Route("/api/payments", upstream)),
        Upstream("127.0.0.1", 9),
    )
    config = write_config(folder / "nginx", routes, gateway_port, static=None)
    log = (folder / f"{level}.log").open("wb")
    processes = {
        "floor app": subprocess.Popen(
            [*argv, "--log-level", "warning"], cwd=ROOT, env=env, stdout=log, stderr=log
        ),
        "gateway": subprocess.Popen(nginx_command(nginx, config), stdout=log, stderr=log),
    }
    if level == "pay":
        # As `make up` runs it (its INFO log line per request included), minus webhooks.
        standin = [sys.executable, "-m", "devtools.stripe_standin", "--port", str(stripe_port)]
        standin += ["--api-key", STANDIN_KEY]
        processes["stripe"] = subprocess.Popen(standin, cwd=ROOT, stdout=log, stderr=log)

    def pids() -> dict[str, list[int]]:
        return {name: [p.pid, *descendants_of(p.pid)] for name, p in processes.items()}

    try:
        wait_for_port(app_port, processes["floor app"])
        wait_for_port(gateway_port, processes["gateway"])
        if "stripe" in processes:
            wait_for_port(stripe_port, processes["stripe"])
        yield f"http://127.0.0.1:{gateway_port}", pids
    finally:
        for process in reversed(processes.values()):
            process.terminate()
            process.wait(timeout=30)
        log.close()
        remove_page_cache(folder / "nginx")


def seeded_tickets(database: str, count: int, tag: str) -> list[uuid.UUID]:
    """`count` free tickets of their own in the floor's orders database."""
    engine = sa.create_engine(server_url(database))
    with engine.begin() as connection:
        connection.execute(
            sa.text(SEED_REPLICA), {"tag": tag, "count": count, "sellers": [uuid.uuid4()]}
        )
        connection.execute(sa.text("ANALYZE"))
    engine.dispose()
    # SEED_REPLICA names ticket n md5(tag || n)::uuid.
    return [
        uuid.UUID(hashlib.md5(f"{tag}{n}".encode(), usedforsecurity=False).hexdigest())
        for n in range(1, count + 1)
    ]


def _cpu(processes: Processes, prefix: str) -> dict[str, float]:
    groups = processes()
    groups["postgres"] = postgres_backends(prefix)
    return group_cpu(groups)


def measure(level: str, database: str, prefix: str, args: argparse.Namespace) -> FloorRun:
    """One level's run: its figures, CPU per order by process and the load generator's."""
    tag = uuid.uuid4().hex[:8]
    tickets = seeded_tickets(database, args.warmup + args.orders, tag)
    buyers = [(index, "floor") for index in range(args.clients)]
    run = drive_purchases if level == "pay" else drive_orders
    with tempfile.TemporaryDirectory(prefix="ticketing-floor-") as folder:
        Path(folder).chmod(0o755)  # NGINX workers may run as nobody
        with floor_gateway(level, database, args, Path(folder)) as (url, processes):
            run(url, buyers, tickets[: args.warmup], "warm-up")
            before, cpu = _cpu(processes, prefix), time.process_time()
            figures = run(url, buyers, tickets[args.warmup :], f"floor, {level}")
            cpu = time.process_time() - cpu
            after = _cpu(processes, prefix)
    done = max(figures.count, 1)
    spent = {name: (after[name] - before.get(name, 0.0)) * 1000 / done for name in after}
    return FloorRun(figures, spent, cpu * 1000 / max(figures.count + figures.errors, 1))


def prepare_floor_database(prefix: str) -> str:
    """An orders database for the floor app (with its payments table); its name."""
    database = prepare_pgbench_database(f"{prefix}orders", 0, "none")
    engine = sa.create_engine(server_url(database))
    with engine.begin() as connection:
        connection.execute(sa.text(PAYMENTS_TABLE))
    engine.dispose()
    return database


def run_floor(levels: Sequence[str], args: argparse.Namespace) -> dict[str, FloorRun]:
    """Each level's run on a database of its own (dropped after); args as main() parses."""
    prefix = f"ticketing_bench_floor_{uuid.uuid4().hex[:8]}_"
    try:
        database = prepare_floor_database(prefix)
        return {level: measure(level, database, prefix, args) for level in levels}
    finally:
        drop_databases(SERVER_URL, prefix)


def floor_arguments(parser: argparse.ArgumentParser) -> None:
    """The gunicorn options of the floor app: the orders service's unless told."""
    parser.add_argument("--worker-class", default=ORDERS.worker_class)
    parser.add_argument("--workers", type=int, default=ORDERS.workers)
    parser.add_argument("--threads", type=int, default=ORDERS.threads)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=GATEWAY_INFLIGHT)
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--warmup", type=int, default=400)
    parser.add_argument("--levels", default="flask,sql", help="comma-separated: flask, sql, pay")
    floor_arguments(parser)
    args = parser.parse_args(argv)
    levels = args.levels.split(",")
    if unknown := set(levels) - set(LEVELS):
        parser.error(f"unknown levels: {', '.join(sorted(unknown))}")
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"order creation floor through NGINX: {args.clients} clients, {args.orders} requests "
        f"per level after {args.warmup} warm-up; gunicorn -k {args.worker_class} "
        f"-w {args.workers} --threads {args.threads}; {os.cpu_count()} CPUs; load average {load}",
        flush=True,
    )
    for level, run in run_floor(levels, args).items():
        figures = run.figures
        met = (
            figures.rate >= GOAL_RATE
            and figures.percentile(0.99) < GOAL_P99_MS
            and figures.errors == 0
        )
        print(figures.line())
        print(run.cpu_line())
        if level != "pay":
            print(
                f"  issue #5's goal (>= {GOAL_RATE:.0f}/s, p99 < {GOAL_P99_MS:.0f} ms) "
                f"{'reachable' if met else 'NOT reached'} at this level",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
