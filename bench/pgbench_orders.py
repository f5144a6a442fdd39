"""pgbench on the SQL of one order creation, on a database migrated like the orders one.

PGBENCH_SCRIPT is what OrderService.create does in PostgreSQL: the same statements in the
same round trips, on a distinct ticket each; `pgbench()` runs it with N clients (prepared
statements, like psycopg after its first executions) and reads per-transaction latencies
from pgbench's log.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from bench.load import Figures
from bench.stack import ROOT, libpq_url, server_url

PGBENCH_ATTEMPTS = 6  # the PostgreSQL server is shared: its 100 connections may all be taken

# What one POST /api/orders does in the database (OrderService.create): the same statements
# in the same six round trips (BEGIN, ticket + live holder, order, outbox + NOTIFY, the two
# timeline entries, COMMIT), on a distinct ticket each. Ids and times the app makes in Python
# come from the first SELECT. JSON is spaced (": ") so pgbench's :variables skip it.
PGBENCH_SCRIPT = """\
BEGIN;
SELECT t.id AS ticket, t.title, t.price_cents, t.currency, t.seller_id, t.sold,
       (SELECT o.status FROM orders o WHERE o.ticket_id = t.id
          AND status IN ('awaiting_payment', 'complete', 'created')) AS holder,
       gen_random_uuid() AS order_id, gen_random_uuid() AS event_id,
       gen_random_uuid() AS buyer, now() AS at, now() + interval '15 minutes' AS expires
  FROM tickets t WHERE t.id = (SELECT md5('{tag}' || nextval('bench_ticket'))::uuid) \\gset
INSERT INTO orders (id, ticket_id, user_id, status, version, ticket_title, price_cents,
                    currency, reason, reason_detail, expires_at, created_at, updated_at)
  VALUES (:order_id, :ticket, :buyer, 'created', 1, :title, :price_cents, :currency,
          NULL, NULL, :expires, :at, :at);
WITH recorded AS (
  INSERT INTO outbox_events (event_id, event_type, aggregate_id, payload)
  VALUES (:event_id, 'orders.created', :order_id,
          '{{"id": "' || :event_id || '", "type": "orders.created", "occurredAt": "'
          || :at || '", "correlationId": "' || :event_id || '", "data": {{"id": "'
          || :order_id || '", "version": 1, "status": "created", "ticketId": "' || :ticket
          || '", "userId": "' || :buyer || '", "expiresAt": "' || :expires
          || '", "priceCents": ' || :price_cents || ', "currency": "usd", "reason": null}}}}')
  RETURNING sequence)
SELECT pg_notify('ticketing_outbox', '') FROM recorded;
INSERT INTO order_steps (order_id, step, outcome, attempt, at, detail)
SELECT v.order_id, v.step, v.outcome,
       coalesce((SELECT max(s.attempt) FROM order_steps s WHERE s.order_id = v.order_id
                   AND s.step = v.step AND s.outcome = v.outcome), 0) + 1,
       v.at, v.detail
  FROM (VALUES (:order_id::uuid, 'reserve', 'ok', :at::timestamptz,
                'The ticket is reserved for you.'),
               (:order_id::uuid, 'await_payment', 'ok', :at::timestamptz,
                'Pay by the time shown or the order expires.'))
       AS v(order_id, step, outcome, at, detail);
END;
"""

# Ticket n of a run has id md5(tag || n)::uuid, so SQL (and pgbench) can name it from n alone.
SEED_REPLICA = """
INSERT INTO tickets (id, version, title, price_cents, currency, seller_id, sold, order_id)
SELECT md5(:tag || n)::uuid, 1, 'Bench ticket ' || n, 2000, 'usd',
       (:sellers)[1 + n % array_length(:sellers, 1)], false, NULL
FROM generate_series(1, :count) AS n
"""


def prepare_pgbench_database(name: str, tickets: int, tag: str) -> str:
    """Create and migrate an orders database for pgbench, with `tickets` free tickets."""
    admin = sa.create_engine(server_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    url = server_url(name)
    subprocess.run(
        [sys.executable, "-m", "common.db.migrate", "orders"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
    )
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(SEED_REPLICA), {"tag": tag, "count": tickets, "sellers": [uuid.uuid4()]}
        )
        connection.execute(sa.text("CREATE SEQUENCE bench_ticket"))
        connection.execute(sa.text("ANALYZE"))
    engine.dispose()
    return name


def _run_pgbench(
    binary: str, clients: int, per_client: int, script: Path, folder: Path, database: str
) -> subprocess.CompletedProcess[str]:
    for log in folder.glob("log*"):
        log.unlink()  # of an attempt that could not connect
    return subprocess.run(
        [
            binary,
            *("-n", "-M", "prepared", "-c", str(clients)),
            *("-j", str(min(clients, os.cpu_count() or 1))),
            *("-t", str(per_client), "-f", str(script)),
            *("-l", "--log-prefix", str(folder / "log")),
            libpq_url(database),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def pgbench(database: str, clients: int, transactions: int, tag: str) -> Figures:
    """pgbench on the equivalent transaction, `transactions` in all; per-transaction latencies."""
    binary = shutil.which("pgbench") or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))), None
    )
    if binary is None:
        raise SystemExit("pgbench not found: apt-get install -y postgresql-client")
    per_client = max(1, transactions // clients)
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "order.sql"
        script.write_text(PGBENCH_SCRIPT.format(tag=tag))
        for attempt in range(1, PGBENCH_ATTEMPTS + 1):
            started = time.perf_counter()
            result = _run_pgbench(binary, clients, per_client, script, Path(folder), database)
            if "too many clients" not in result.stderr or attempt == PGBENCH_ATTEMPTS:
                break
            print("  PostgreSQL is out of connections (shared server): pgbench again in 10 s")
            time.sleep(10)
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(f"pgbench failed:\n{result.stdout}\n{result.stderr}")
        latencies = [
            int(line.split()[2]) / 1000
            for log in Path(folder).glob("log*")
            for line in log.read_text().splitlines()
        ]
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    seconds = len(latencies) / float(tps.group(1)) if tps else elapsed
    return Figures(
        "pgbench (same SQL)",
        len(latencies),
        int(failed.group(1)) if failed else 0,
        seconds,
        latencies,
    )
