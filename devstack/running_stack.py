"""The whole platform as `make up` runs it, on the test run's PostgreSQL, Redis and NATS."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from common.config import normalise_database_url
from devstack.cleanup import delete_stream, drop_databases
from devstack.ports import free_port_block
from devstack.services import STRIPE_STANDIN_PORT_OFFSET
from devstack.up_process import UpProcess

SERVER_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
NATS_URL = os.environ.get("TEST_NATS_URL", "nats://127.0.0.1:4222")
# Services at base + 0..11 (the Stripe stand-in is the last), the gateway right after them.
BLOCK_SIZE = STRIPE_STANDIN_PORT_OFFSET + 2
ATTEMPTS = 3
# The browser tests' order lifetime: short enough for the expiry test to wait it out, long
# enough to pay in the other tests on a busy machine.
ORDER_EXPIRATION_SECONDS = 30


@dataclass(frozen=True)
class RunningStack:
    """A stack brought up by `python -m devstack.up`, reachable through NGINX at `url`."""

    url: str
    database_prefix: str
    up: UpProcess

    def database_url(self, service: str) -> str:
        """The SQLAlchemy URL of one service's database in this stack."""
        url = sa.make_url(normalise_database_url(SERVER_URL))
        return url.set(database=self.database_prefix + service).render_as_string(
            hide_password=False
        )


def free_block() -> int:
    """The first port of BLOCK_SIZE free loopback ports, picked at random to avoid other runs."""
    return free_port_block(BLOCK_SIZE)


def start_up(environ: dict[str, str]) -> tuple[UpProcess, int]:
    """Start `up` on free ports and wait until it serves; its gateway port.

    Another run may take one of the ports while this one migrates its databases: then
    start again on other ports.
    """
    for attempt in range(1, ATTEMPTS + 1):
        base = free_block()
        port = base + BLOCK_SIZE - 1
        up = UpProcess({**environ, "PORT": str(port), "TICKETING_SERVICE_PORT_BASE": str(base)})
        try:
            up.wait_until_up()
        except AssertionError:
            up.cleanup()
            if attempt == ATTEMPTS or "in use" not in up.output:
                raise
            continue
        return up, port
    raise AssertionError("unreachable")


@contextmanager
def running_stack(
    run_dir: Path, order_expiration_seconds: int = 900, **extra: str
) -> Iterator[RunningStack]:
    """Run `up` with NGINX on free ports, its own databases, stream and queues; stop it after."""
    tag = uuid.uuid4().hex[:10]
    prefix = f"ticketing_e2e_{tag}_"
    stream = f"E2E_{tag}"
    environ = {
        **os.environ,
        "DATABASE_URL": SERVER_URL,
        "REDIS_URL": f"{REDIS_BASE}/0",
        "NATS_URL": NATS_URL,
        "TICKETING_RUN_DIR": str(run_dir),
        "TICKETING_DB_PREFIX": prefix,
        "TICKETING_GATEWAY": "nginx",
        "EVENTS_STREAM": stream,
        "EVENTS_SUBJECT_PREFIX": f"e2e{tag}",
        "DRAMATIQ_NAMESPACE": f"e2e{tag}",
        "ORDER_EXPIRATION_SECONDS": str(order_expiration_seconds),
        "LOG_LEVEL": "WARNING",
        # Sign-in limits count per client IP in Redis: every local run is 127.0.0.1 on the
        # shared db 0, so other runs' sign-ins would use up this stack's budget.
        "SIGNIN_IP_LIMIT": "100000",
        # Sign-ups per address too (20 an hour): every browser test signs its users up.
        "SIGNUP_IP_LIMIT": "100000",
        # The integrator tests receive webhooks on 127.0.0.1 (refused by default).
        "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
        **extra,
    }
    try:
        up, port = start_up(environ)
        try:
            yield RunningStack(f"http://127.0.0.1:{port}", prefix, up)
            up.stop()
        finally:
            up.cleanup()
    finally:
        drop_databases(SERVER_URL, prefix)
        delete_stream(NATS_URL, stream)
