"""The ceiling this machine puts on order creation through the gateway, whatever the app does.

Runs bench/floor_app.py (plain Flask, no flask-smorest, no tokens, no SQLAlchemy, no
events downstream) under gunicorn with the orders service's settings (devstack/
services.py) behind NGINX configured like the gateway (deploy/nginx), and drives it with
the same 32 buyers as bench/order_creation.py (same client code, kept-alive connections,
distinct tickets). Two levels, each its own run:

- `flask`: the request parsed and answered, no database: the HTTP stack alone.
- `sql`: plus OrderService.create's statements with raw psycopg in one transaction.

No real order can be cheaper than the `sql` level: it has every HTTP and database step of
one and none of the product's own code. So if the `sql` level does not reach the issue's
goal (>= 500 orders/s, p99 < 100 ms) on a machine, the product cannot on that machine. The
CPU the load generator itself (this process) spends per request is printed too: it shares
the same CPUs, as it does in bench/order_creation.py.

    .venv/bin/python -m bench.http_floor [--orders 4000] [--levels flask,sql]
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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from bench.load import Figures
from bench.order_creation import GOAL_P99_MS, GOAL_RATE, drive
from bench.pgbench_orders import SEED_REPLICA, prepare_pgbench_database
from bench.stack import ROOT, SERVER_URL, free_block, libpq_url, server_url
from deploy.gateway.routes import Route, RouteTable, Upstream
from deploy.nginx.render import nginx_command, remove_page_cache, write_config
from devstack.cleanup import drop_databases
from devstack.gateway_process import find_nginx
from devstack.processes import wait_for_port
from devstack.procfile import gunicorn_argv
from devstack.services import SERVICES

ORDERS = next(service for service in SERVICES if service.name == "orders")


@contextmanager
def floor_gateway(
    level: str, database: str, args: argparse.Namespace, folder: Path
) -> Iterator[str]:
    """The floor app under gunicorn behind NGINX; the gateway's URL."""
    nginx = find_nginx()
    if nginx is None:
        raise SystemExit("nginx not found: apt-get install -y nginx")
    base = free_block()
    app_port, gateway_port = base, base + 1
    env = {**os.environ, "FLOOR_LEVEL": level, "FLOOR_DATABASE": libpq_url(database)}
    argv = gunicorn_argv(
        sys.executable,
        "bench.floor_app:create_app()",
        app_port,
        args.threads,
        workers=args.workers,
        worker_class=args.worker_class,
    )
    routes = RouteTable(
        (Route("/api/orders", Upstream("127.0.0.1", app_port)),), Upstream("127.0.0.1", 9)
    )
    config = write_config(folder / "nginx", routes, gateway_port, static=None)
    log = (folder / f"{level}.log").open("wb")
    app = subprocess.Popen(
        [*argv, "--log-level", "warning"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    gateway = subprocess.Popen(nginx_command(nginx, config), stdout=log, stderr=log)
    try:
        wait_for_port(app_port, app)
        wait_for_port(gateway_port, gateway)
        yield f"http://127.0.0.1:{gateway_port}"
    finally:
        for process in (gateway, app):
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


def measure(level: str, database: str, args: argparse.Namespace) -> tuple[Figures, float]:
    """One level's run: its figures and the load generator's CPU ms per request."""
    tag = uuid.uuid4().hex[:8]
    tickets = seeded_tickets(database, args.warmup + args.orders, tag)
    buyers = [(index, "floor") for index in range(args.clients)]
    with tempfile.TemporaryDirectory(prefix="ticketing-floor-") as folder:
        Path(folder).chmod(0o755)  # NGINX workers may run as nobody
        with floor_gateway(level, database, args, Path(folder)) as url:
            drive(url, buyers, tickets[: args.warmup], "warm-up")
            cpu = time.process_time()
            figures = drive(url, buyers, tickets[args.warmup :], f"floor, {level}")
            cpu = time.process_time() - cpu
    return figures, cpu * 1000 / max(figures.count + figures.errors, 1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--warmup", type=int, default=400)
    parser.add_argument("--levels", default="flask,sql", help="comma-separated: flask, sql")
    parser.add_argument("--worker-class", default=ORDERS.worker_class)
    parser.add_argument("--workers", type=int, default=ORDERS.workers)
    parser.add_argument("--threads", type=int, default=ORDERS.threads)
    args = parser.parse_args(argv)
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"order creation floor through NGINX: {args.clients} clients, {args.orders} requests "
        f"per level after {args.warmup} warm-up; gunicorn -k {args.worker_class} "
        f"-w {args.workers} --threads {args.threads}; {os.cpu_count()} CPUs; load average {load}",
        flush=True,
    )
    prefix = f"ticketing_bench_floor_{uuid.uuid4().hex[:8]}_"
    database = prepare_pgbench_database(f"{prefix}orders", 0, "none")
    try:
        for level in args.levels.split(","):
            figures, client_cpu = measure(level, database, args)
            met = (
                figures.rate >= GOAL_RATE
                and figures.percentile(0.99) < GOAL_P99_MS
                and figures.errors == 0
            )
            print(figures.line())
            print(
                f"  load generator CPU {client_cpu:.2f} ms/request; "
                f"goal (>= {GOAL_RATE:.0f}/s, p99 < {GOAL_P99_MS:.0f} ms) "
                f"{'reachable' if met else 'NOT reached'} at this level",
                flush=True,
            )
    finally:
        drop_databases(SERVER_URL, prefix)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
