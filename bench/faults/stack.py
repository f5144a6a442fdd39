"""The platform of one fault run: `bench.faults.up` as a subprocess with names nobody else uses."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nats
import psutil
import redis
import sqlalchemy as sa
from nats.js.errors import NotFoundError

from bench.stack import BLOCK_SIZE, UP_LINE, free_block
from common.config import normalise_database_url
from devstack.services import STRIPE_STANDIN_PORT_OFFSET
from devstack.settings import PROJECT_ROOT

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


class UpProcess:
    """`python -m bench.faults.up` with its output collected line by line."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.faults.up"],
            cwd=PROJECT_ROOT,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip())

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_until_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(line.startswith(UP_LINE) for line in self.lines):
            if self.process.poll() is not None:
                time.sleep(0.2)
                raise RuntimeError(f"up exited with {self.process.returncode}:\n{self.output}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"up did not come up in {timeout:.0f}s:\n{self.output}")
            time.sleep(0.1)

    def descendants(self) -> list[psutil.Process]:
        try:
            return list(psutil.Process(self.process.pid).children(recursive=True))
        except psutil.NoSuchProcess:
            return []

    def stop(self, timeout: float = 90) -> int:
        """SIGTERM, as an operator stops `make up`; SIGKILL whatever is left after `timeout`."""
        left = self.descendants()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for process in left:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                continue
        return self.process.returncode


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
        up = UpProcess(environ)
        try:
            up.wait_until_up(timeout=float(extra.get("TICKETING_READY_TIMEOUT", "90")) + 60)
        except RuntimeError:
            up.stop()
            if attempt == 2 or "in use" not in up.output:
                raise
            continue
        return Stack(infrastructure, names, run_dir, base, port, up)
    raise RuntimeError("unreachable")


def drop_databases(infrastructure: Infrastructure, prefix: str) -> list[str]:
    """Drop every database whose name starts with `prefix`; their names."""
    engine = sa.create_engine(infrastructure.database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            names = list(
                connection.scalars(
                    sa.text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
                    {"pattern": prefix.replace("_", r"\_") + "%"},
                )
            )
            for name in names:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()
    return names


def delete_stream(infrastructure: Infrastructure, stream: str) -> bool:
    """Delete the run's JetStream stream (and its consumers); whether it existed."""

    async def delete() -> bool:
        nc = await nats.connect(infrastructure.nats_url)
        try:
            await nc.jetstream().delete_stream(stream)
        except NotFoundError:
            return False
        finally:
            await nc.close()
        return True

    return asyncio.run(delete())


def wipe_namespace(infrastructure: Infrastructure, namespace: str) -> int:
    """Delete the Dramatiq keys the run left in Redis."""
    client = redis.Redis.from_url(infrastructure.redis_url)
    try:
        return int(client.eval(WIPE_NAMESPACE, 0, f"{namespace}:*"))
    finally:
        client.close()
