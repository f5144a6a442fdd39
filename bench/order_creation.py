"""Order creation throughput: POST /api/orders from 32 concurrent buyers on distinct tickets.

Seeds the orders service's tickets replica with one ticket per order straight in the
database, drives `POST /api/orders` from concurrent clients (each with its own user and a
keep-alive connection) and prints orders/s, p50, p99. Then runs pgbench with the same
number of clients on the equivalent SQL transaction (ticket lookup, live-order check,
order insert, outbox insert + NOTIFY, commit: the same tables, indexes and constraints)
and prints the ratio of the two, i.e. what the HTTP + Python layers cost on top of the
database.

Without --url it starts the orders app under gunicorn itself, on a scratch database
(`ticketing_bench_orders`, dropped and recreated) with a throwaway RS256 key pair. It uses
sync workers, two per CPU: with gthread workers, kept-alive connections stay with the worker
that accepted them, a few workers end up with most clients and the run uses about one CPU
of two (`--worker-class gthread --threads N` shows it):

    .venv/bin/python -m bench.order_creation            # or: python bench/order_creation.py

Against a running orders service, give its URL, its database (tickets are seeded and
orders written there) and a key it accepts:

    python -m bench.order_creation --url http://127.0.0.1:8103 \\
        --database-url postgresql://postgres@127.0.0.1:5432/ticketing_orders \\
        --jwt-private-key-file .run/keys/jwt-private.pem
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parents[1]
SCRATCH_DATABASE = "ticketing_bench_orders"
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEV_JWT_SECRET = "ticketing-development-secret-never-use-in-production"  # noqa: S105 - the dev default

# Ticket n of the bench has id md5(n)::uuid, so SQL (and pgbench) can name it from n alone.
SEED_TICKETS = """
INSERT INTO tickets (id, version, title, price_cents, currency, seller_id, sold, order_id)
SELECT md5(:tag || n)::uuid, 1, 'Bench ticket ' || n, 2000, 'usd', gen_random_uuid(), false, NULL
FROM generate_series(1, :count) AS n
"""

# What one POST /api/orders does in the database, with the same statements and indexes.
PGBENCH_SCRIPT = """\\set n random(1, :tickets)
\\set buyer random(1, 1000000000)
BEGIN;
SELECT id, title, price_cents, currency, seller_id, sold FROM tickets
  WHERE id = md5('{tag}' || :n)::uuid;
SELECT status FROM orders WHERE ticket_id = md5('probe' || :buyer)::uuid
  AND status IN ('awaiting_payment', 'complete', 'created');
INSERT INTO orders (id, ticket_id, user_id, status, version, ticket_title, price_cents,
                    currency, reason, expires_at, created_at, updated_at)
  VALUES (gen_random_uuid(), gen_random_uuid(), md5(:buyer::text)::uuid, 'created', 1,
          'Bench ticket', 2000, 'usd', NULL, now() + interval '15 minutes', now(), now());
INSERT INTO outbox_events (event_id, event_type, aggregate_id, payload)
  VALUES (gen_random_uuid(), 'orders.created', gen_random_uuid(), '{payload}');
SELECT pg_notify('ticketing_outbox', '');
END;
"""
PAYLOAD = json.dumps(
    {
        "id": str(uuid.uuid4()),
        "type": "orders.created",
        "occurredAt": "2026-01-01T00:00:00.000Z",
        "correlationId": uuid.uuid4().hex,
        "data": {
            "id": str(uuid.uuid4()),
            "version": 1,
            "status": "created",
            "ticketId": str(uuid.uuid4()),
            "userId": str(uuid.uuid4()),
            "expiresAt": "2026-01-01T00:15:00.000Z",
            "priceCents": 2000,
            "currency": "usd",
            "reason": None,
        },
    },
    separators=(",", ":"),
)


@dataclass(frozen=True)
class Figures:
    """What one load run measured."""

    label: str
    count: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile of the latencies, in ms."""
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]

    def line(self) -> str:
        worst = max(self.latencies_ms, default=0.0)
        mean = statistics.fmean(self.latencies_ms or [0.0])
        return (
            f"{self.label:<26} {self.rate:8.0f} /s   p50 {self.percentile(0.5):6.1f} ms   "
            f"p99 {self.percentile(0.99):6.1f} ms   max {worst:6.1f} ms   "
            f"mean {mean:6.1f} ms   n={self.count} errors={self.errors}"
        )


class Tokens:
    """Access tokens the orders service accepts, one per simulated buyer."""

    def __init__(self, private_key_pem: str | None, secret: str) -> None:
        self.key, self.algorithm = (
            (private_key_pem, "RS256") if private_key_pem else (secret, "HS256")
        )

    def issue(self, user_id: uuid.UUID) -> str:
        now = int(time.time())
        return jwt.encode(
            {
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
            },
            self.key,
            algorithm=self.algorithm,
        )


def rsa_pair() -> tuple[str, str]:
    """A throwaway RS256 key pair (PEM private, PEM public)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def sqlalchemy_url(url: str) -> URL:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg")


def scratch_database(server_url: str) -> str:
    """Drop, recreate and migrate the benchmark's own orders database; its URL."""
    server = sqlalchemy_url(server_url)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{SCRATCH_DATABASE}" WITH (FORCE)'))
    admin.dispose()
    url = server.set(database=SCRATCH_DATABASE).render_as_string(hide_password=False)
    subprocess.run(
        [sys.executable, "-m", "common.db.migrate", "orders"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "DATABASE_URL": url},
    )
    return url


def seed_tickets(database_url: str, count: int, tag: str) -> list[uuid.UUID]:
    """Put `count` free tickets in the replica; their ids."""
    engine = sa.create_engine(sqlalchemy_url(database_url))
    with engine.begin() as connection:
        connection.execute(sa.text(SEED_TICKETS), {"tag": tag, "count": count})
        rows = (
            connection.execute(
                sa.text("SELECT md5(:tag || n)::uuid FROM generate_series(1, :count) AS n"),
                {"tag": tag, "count": count},
            )
            .scalars()
            .all()
        )
        connection.execute(sa.text("ANALYZE tickets"))
    engine.dispose()
    return list(rows)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(
    database_url: str, public_key: str, worker_class: str, workers: int, threads: int
) -> Iterator[tuple[str, int]]:
    """The orders app under gunicorn on a free port; its URL and pid."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "APP_ENV": "development",
        "JWT_ALGORITHM": "RS256",
        "JWT_PUBLIC_KEY": public_key,
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--no-control-socket",
            "-k",
            worker_class,
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "--backlog",
            "2048",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "api.orders.app:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def _proc_cpu(pid: str) -> tuple[int, float]:
    """(parent pid, user + system CPU seconds) of a process from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _uid(pid: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    return -1


class CpuMeter:
    """CPU seconds spent by this client, the gunicorn we started and local PostgreSQL."""

    def __init__(self, server_pid: int | None) -> None:
        self.server_pid = server_pid
        try:
            self.postgres_uid: int | None = pwd.getpwnam("postgres").pw_uid
        except KeyError:
            self.postgres_uid = None

    def sample(self) -> dict[str, float]:
        totals = {"client": time.process_time(), "app": 0.0, "postgres": 0.0}
        for pid in (p.name for p in Path("/proc").iterdir() if p.name.isdigit()):
            try:
                parent, seconds = _proc_cpu(pid)
                if self.server_pid is not None and self.server_pid in (int(pid), parent):
                    totals["app"] += seconds
                elif self.postgres_uid is not None and _uid(pid) == self.postgres_uid:
                    totals["postgres"] += seconds
            except (OSError, ValueError, IndexError):
                continue  # the process ended meanwhile
        return totals

    def line(self, before: dict[str, float], after: dict[str, float], orders: int) -> str:
        parts = []
        for name in ("client", "app", "postgres"):
            known = name != "app" or self.server_pid is not None
            parts.append(
                f"{name} {(after[name] - before[name]) / orders * 1000:.2f} ms"
                if known and orders
                else f"{name} n/a"
            )
        return f"{'CPU per order':<26} " + ", ".join(parts)


def wait_healthy(base: str, process: subprocess.Popen[bytes] | None = None) -> None:
    parts = urlsplit(base)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit("gunicorn exited before it served")
        try:
            connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{base}/healthz did not answer")


class Buyer:
    """One client: orders its share of tickets one after the other on a kept-alive connection.

    Raw HTTP/1.1 on asyncio streams: http.client parses headers with the email package and
    would spend more CPU per request than the server's own database work.
    """

    def __init__(self, base: str, token: str, tickets: list[uuid.UUID]) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = parts.path.rstrip("/") + "/api/orders"
        self.head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        )
        self.tickets = tickets
        self.latencies: list[float] = []
        self.errors: list[str] = []

    async def run(self, start: asyncio.Event) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        await start.wait()
        for ticket_id in self.tickets:
            body = b'{"ticketId": "%s"}' % str(ticket_id).encode()
            started = time.perf_counter()
            try:
                if writer.is_closing():
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                writer.write(f"{self.head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
                status, payload, close = await _response(reader)
                if close:
                    writer.close()
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                writer.close()
                status, payload = 0, repr(exc).encode()
            elapsed = (time.perf_counter() - started) * 1000
            if status == 201:
                self.latencies.append(elapsed)
            else:
                self.errors.append(f"{status} {payload[:200]!r}")
        writer.close()


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server closes the connection, of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    fields = {name.strip().lower(): value.strip() for name, value in headers.items()}
    body = await reader.readexactly(int(fields.get("content-length", "0")))
    return status, body, fields.get("connection", "").lower() == "close"


def drive(base: str, tokens: Tokens, tickets: list[uuid.UUID], clients: int, label: str) -> Figures:
    """Order every ticket once, spread over `clients` concurrent buyers."""
    buyers = [Buyer(base, tokens.issue(uuid.uuid4()), tickets[i::clients]) for i in range(clients)]

    async def all_buyers() -> float:
        start = asyncio.Event()
        running = [asyncio.create_task(buyer.run(start)) for buyer in buyers]
        await asyncio.sleep(0.2)  # every connection is open before the clock starts
        started = time.perf_counter()
        start.set()
        await asyncio.gather(*running)
        return time.perf_counter() - started

    seconds = asyncio.run(all_buyers())
    latencies = [ms for buyer in buyers for ms in buyer.latencies]
    errors = [error for buyer in buyers for error in buyer.errors]
    for error in errors[:5]:
        print(f"  error: {error}", file=sys.stderr)
    return Figures(label, len(latencies), len(errors), seconds, latencies)


def pgbench(database_url: str, clients: int, seconds: int, tickets: int, tag: str) -> Figures:
    """pgbench on the equivalent transaction; latencies from its per-transaction log."""
    binary = shutil.which("pgbench") or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))), None
    )
    if binary is None:
        raise SystemExit("pgbench not found: apt-get install -y postgresql-client")
    url = make_url(database_url)
    env = {
        **os.environ,
        "PGHOST": url.host or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "postgres",
        "PGDATABASE": url.database or "postgres",
    }
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "order.sql"
        script.write_text(PGBENCH_SCRIPT.format(tag=tag, payload=PAYLOAD))
        result = subprocess.run(
            [
                binary,
                "-n",
                "-c",
                str(clients),
                "-j",
                str(min(clients, os.cpu_count() or 1)),
                "-T",
                str(seconds),
                "-D",
                f"tickets={tickets}",
                "-f",
                str(script),
                "-l",
                "--log-prefix",
                str(Path(folder) / "log"),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"pgbench failed:\n{result.stdout}\n{result.stderr}")
        latencies = [
            int(line.split()[2]) / 1000
            for log in Path(folder).glob("log*")
            for line in log.read_text().splitlines()
        ]
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    return Figures(
        "pgbench (same SQL)",
        len(latencies),
        int(failed.group(1)) if failed else 0,
        float(seconds),
        latencies,
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", help="a running orders service (default: start gunicorn)")
    parser.add_argument("--database-url", help="its database (required with --url)")
    parser.add_argument(
        "--server-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_SERVER),
        help="PostgreSQL server for the scratch database (without --url)",
    )
    parser.add_argument("--jwt-private-key-file", help="RS256 key the service trusts (--url)")
    parser.add_argument("--jwt-secret", default=DEV_JWT_SECRET, help="HS256 secret (--url)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--orders", type=int, default=8000, help="orders in the measured run")
    parser.add_argument("--warmup", type=int, default=1000, help="orders before measuring")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (own server)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    args = parser.parse_args(argv)
    if args.url and not args.database_url:
        parser.error("--url needs --database-url (the replica is seeded there)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    tag = uuid.uuid4().hex[:8]
    database_url = args.database_url or scratch_database(args.server_url)
    tickets = seed_tickets(database_url, args.warmup + args.orders, tag)
    warmup, measured = tickets[: args.warmup], tickets[args.warmup :]
    if args.url:
        key_pem = Path(args.jwt_private_key_file).read_text() if args.jwt_private_key_file else None
        tokens = Tokens(key_pem, args.jwt_secret)
        wait_healthy(args.url)
        server: AbstractContextManager[tuple[str, int | None]] = nullcontext((args.url, None))
        where = args.url
    else:
        private, public = rsa_pair()
        tokens = Tokens(private, args.jwt_secret)
        server = gunicorn(database_url, public, args.worker_class, args.workers, args.threads)
        where = f"gunicorn -k {args.worker_class} -w {args.workers} --threads {args.threads}"
    print(
        f"orders service: {where}; {args.clients} clients; {os.cpu_count()} CPUs; "
        f"load average before {os.getloadavg()[0]:.1f}"
    )
    with server as (base, pid):
        meter = CpuMeter(pid)
        drive(base, tokens, warmup, args.clients, "warm-up")
        before = meter.sample()
        app = drive(base, tokens, measured, args.clients, "POST /api/orders")
        cpu = meter.line(before, meter.sample(), app.count)
    database = pgbench(database_url, args.clients, args.pgbench_seconds, len(tickets), tag)
    print(app.line())
    print(database.line())
    print(f"{'ratio app/pgbench':<26} {app.rate / database.rate:8.2f}")
    print(cpu)
    print(
        f"{'load average after':<26} {os.getloadavg()[0]:8.1f}  (other work on this machine "
        "competes for the same CPUs)"
    )
    target = app.rate >= 500 and app.percentile(0.99) < 100 and app.errors == 0
    print(f"target (>= 500 orders/s, p99 < 100 ms, no errors): {'met' if target else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
