"""The platform of one fault run: `bench.faults.up` as a subprocess with names nobody else uses."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import redis
import sqlalchemy as sa

from bench.stack import BLOCK_SIZE, free_block
from common.config import normalise_database_url
from devstack.services import STRIPE_STANDIN_PORT_OFFSET
from devstack.up_process import UpProcess

# Deletes every key of one Dramatiq namespace in one atomic step: the stack's share of the
# Redis database wiped as FLUSHDB would, without touching other runs' keys in that database.
WIPE_NAMESPACE = """
local keys = redis.call('KEYS', ARGV[1])
for i = 1, #keys do redis.call('DEL', keys[i]) end
return #keys
"""


@dataclass(frozen=True)
class Infrastructure:
    """The machine's servers the stack uses (the admin database URL, Redis with its db, NATS)."""

    database_url: str
    redis_url: str
    nats_url: str

    @classmethod
    def from_environ(cls, redis_db: int) -> Infrastructure:
        base = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
        return cls(
            database_url=normalise_database_url(
                os.environ.get(
                    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
                )
            ),
            redis_url=f"{base.rstrip('/')}/{redis_db}",
            nats_url=os.environ.get("BENCH_NATS_URL", "nats://127.0.0.1:4222"),
        )


@dataclass(frozen=True)
class Names:
    """Databases, stream, subjects and Dramatiq namespace of this run alone."""

    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:10])

    @property
    def database_prefix(self) -> str:
        return f"ticketing_faults_{self.tag}_"

    @property
    def stream(self) -> str:
        return f"FAULTS_{self.tag}"

    @property
    def subject_prefix(self) -> str:
        return f"faults{self.tag}"

    @property
    def namespace(self) -> str:
        return f"faults{self.tag}"


@dataclass
class Stack:
    """A running stack: its URLs, names, and the `up` process supervising it."""

    infrastructure: Infrastructure
    names: Names
    run_dir: Path
    port_base: int
    gateway_port: int
    up: UpProcess

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def standin_url(self) -> str:
        return f"http://127.0.0.1:{self.port_base + STRIPE_STANDIN_PORT_OFFSET}"

    def database_url(self, service: str) -> str:
        url = sa.make_url(self.infrastructure.database_url)
        return url.set(database=self.names.database_prefix + service).render_as_string(
            hide_password=False
        )

    def wipe_dramatiq(self) -> int:
        """Delete every key of the stack's Dramatiq namespace at once; how many there were."""
        return wipe_namespace(self.infrastructure, self.names.namespace)


def start_stack(
    infrastructure: Infrastructure, names: Names, run_dir: Path, extra: dict[str, str]
) -> Stack:
    """Start `up` on free ports (again on other ports if one was taken meanwhile)."""
    for attempt in range(3):
        base = free_block()
        port = base + BLOCK_SIZE - 1
        environ = {
            **os.environ,
            "DATABASE_URL": infrastructure.database_url,
            "REDIS_URL": infrastructure.redis_url,
            "NATS_URL": infrastructure.nats_url,
            "PORT": str(port),
            "TICKETING_SERVICE_PORT_BASE": str(base),
            "TICKETING_RUN_DIR": str(run_dir),
            "TICKETING_DB_PREFIX": names.database_prefix,
            "EVENTS_STREAM": names.stream,
            "EVENTS_SUBJECT_PREFIX": names.subject_prefix,
            "DRAMATIQ_NAMESPACE": names.namespace,
            **extra,
        }
        up = UpProcess(environ, module="bench.faults.up")
        try:
            up.wait_until_up(timeout=float(extra.get("TICKETING_READY_TIMEOUT", "90")) + 60)
        except AssertionError:
            up.stop()
            if attempt == 2 or "in use" not in up.output:
                raise
            continue
        return Stack(infrastructure, names, run_dir, base, port, up)
    raise RuntimeError("unreachable")


def wipe_namespace(infrastructure: Infrastructure, namespace: str) -> int:
    """Delete the Dramatiq keys the run left in Redis."""
    client = redis.Redis.from_url(infrastructure.redis_url)
    try:
        return int(client.eval(WIPE_NAMESPACE, 0, f"{namespace}:*"))
    finally:
        client.close()
