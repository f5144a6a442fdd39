"""The whole platform as `make up` runs it, brought up for a benchmark and torn down after.

`running_stack()` starts `python -m devstack.up` (NGINX gateway by default) against the
machine's PostgreSQL, Redis and NATS, on free ports, with databases, a JetStream stream, a
subject prefix and a Dramatiq namespace of its own, waits for "Ticketing is up", and on exit
stops it with SIGTERM and drops what it created. `Stack.processes()` names every process of
the Procfile with its pids, so a benchmark can account CPU time and memory per process.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis
import sqlalchemy as sa

from common.config import normalise_database_url
from common.events.streams import EventSettings
from devstack.cleanup import delete_stream, drop_databases
from devstack.ports import free_port_block
from devstack.processes import children_of, descendants_of
from devstack.services import SERVICES, STRIPE_STANDIN_PORT_OFFSET

ROOT = Path(__file__).resolve().parents[1]
SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
NATS_URL = os.environ.get("BENCH_NATS_URL", "nats://127.0.0.1:4222")
UP_LINE = "Ticketing is up:"
# Services at base + 0..11 (the Stripe stand-in last), the gateway right after them; below
# Linux's ephemeral range (devstack.ports) so outgoing connections do not take them.
BLOCK_SIZE = STRIPE_STANDIN_PORT_OFFSET + 2
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
START_ATTEMPTS = 4


class StackError(Exception):
    """The stack did not come up; the message carries the end of its output."""


def free_block() -> int:
    """The first port of BLOCK_SIZE free loopback ports, picked at random to avoid other runs."""
    return free_port_block(BLOCK_SIZE)


def server_url(database: str) -> str:
    """The SQLAlchemy (psycopg 3) URL of `database` on the benchmark's PostgreSQL server."""
    url = sa.make_url(normalise_database_url(SERVER_URL)).set(database=database)
    return url.render_as_string(hide_password=False)


def libpq_url(database: str) -> str:
    """The libpq URL of `database` (for psycopg.connect and pgbench)."""
    url = sa.make_url(server_url(database)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _delete_namespace(namespace: str) -> None:
    """Dramatiq's keys of this run (queues, delayed expiries) in the shared Redis."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
    finally:
        client.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB; PSS shares forked workers' common pages fairly."""
    rss = pss = 0
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    return rss, pss


def _procfile_commands(procfile: Path) -> dict[str, str]:
    """Each Procfile entry's program and arguments (after `exec env NAME=value ...`)."""
    commands = {}
    for line in procfile.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, command = line.partition(": ")
        words = shlex.split(command)
        if words[:2] == ["exec", "env"]:
            words = words[2:]
            while words and "=" in words[0] and not words[0].startswith("/"):
                words = words[1:]
        elif words[:1] == ["exec"]:
            words = words[1:]
        commands[name] = " ".join(words[1:])  # the arguments identify it; argv[0] may differ
    return commands


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


@dataclass
class Stack:
    """A running `up`: where its gateway, services and databases are."""

    gateway_url: str
    port_base: int
    run_dir: Path
    prefix: str
    events: EventSettings
    namespace: str
    process: subprocess.Popen[bytes]
    output: deque[str] = field(default_factory=lambda: deque(maxlen=400))

    def database_url(self, service: str) -> str:
        """The SQLAlchemy URL of one service's database in this stack."""
        return server_url(self.prefix + service)

    def service_url(self, service: str) -> str:
        """A service's own port (behind the gateway)."""
        found = next(s for s in SERVICES if s.name == service)
        return f"http://127.0.0.1:{found.port(self.port_base)}"

    def processes(self) -> dict[str, list[int]]:
        """Procfile name -> pids of that process and its children (gunicorn workers...).

        honcho forks one copy of `up` per entry, which starts the command: those copies and
        `up` itself are the "honcho" entry (they carry every output line to the terminal).
        """
        commands = _procfile_commands(self.run_dir / "Procfile")
        named: dict[str, list[int]] = {"honcho": [self.process.pid]}
        pending = children_of(self.process.pid)
        while pending:
            pid = pending.pop()
            line = _cmdline(pid)
            matches = [name for name, args in commands.items() if args and args in line]
            if matches:
                name = max(matches, key=lambda match: len(commands[match]))
                named.setdefault(name, []).extend([pid, *descendants_of(pid)])
            else:
                named["honcho"].append(pid)
                pending.extend(children_of(pid))
        return named

    def tail(self, lines: int = 60) -> str:
        return "\n".join(list(self.output)[-lines:])


def _read_output(stack: Stack, up: threading.Event) -> None:
    assert stack.process.stdout is not None
    for raw in stack.process.stdout:
        line = raw.decode(errors="replace").rstrip()
        stack.output.append(line)
        if UP_LINE in line:
            up.set()


def _start(environ: Mapping[str, str], run_dir: Path, tag: str, timeout: float) -> Stack:
    base = free_block()
    port = base + BLOCK_SIZE - 1
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.up"],
        cwd=ROOT,
        env={
            **environ,
            "PORT": str(port),
            "TICKETING_SERVICE_PORT_BASE": str(base),
            "PYTHONUNBUFFERED": "1",
        },
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    stack = Stack(
        gateway_url=f"http://127.0.0.1:{port}",
        port_base=base,
        run_dir=run_dir,
        prefix=environ["TICKETING_DB_PREFIX"],
        events=EventSettings(
            stream=environ["EVENTS_STREAM"], subject_prefix=environ["EVENTS_SUBJECT_PREFIX"]
        ),
        namespace=environ["DRAMATIQ_NAMESPACE"],
        process=process,
    )
    up = threading.Event()
    threading.Thread(target=_read_output, args=(stack, up), daemon=True).start()
    deadline = time.monotonic() + timeout
    while not up.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(stack)
            raise StackError(f"`up` did not come up (tag {tag}):\n{stack.tail()}")
    return stack


def _start_retrying(environ: Mapping[str, str], run_dir: Path, tag: str, timeout: float) -> Stack:
    """Start `up`; again a little later when the shared PostgreSQL had no connection to spare."""
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            return _start(environ, run_dir, tag, timeout)
        except StackError as exc:
            if "too many clients" not in str(exc) or attempt == START_ATTEMPTS:
                raise
            print("  PostgreSQL is out of connections (shared server): `up` again in 15 s")
            drop_databases(SERVER_URL, environ["TICKETING_DB_PREFIX"])
            time.sleep(15)
    raise AssertionError("unreachable")


def _started_at(pid: int) -> str | None:
    """The start time of a process (field 22 of its stat), to tell it from a reused pid."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[19]
    except (OSError, IndexError):
        return None


def _stop(stack: Stack) -> None:
    """SIGTERM as an operator would; SIGKILL what `up` left behind after a minute."""
    left = {pid: _started_at(pid) for pid in descendants_of(stack.process.pid)}
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGTERM)
        try:
            stack.process.wait(60)
        except subprocess.TimeoutExpired:
            stack.process.kill()
            stack.process.wait()
    for pid, started in left.items():
        if started is not None and _started_at(pid) == started:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


@contextmanager
def running_stack(
    *,
    gateway: str = "nginx",
    log_level: str = "INFO",
    extra_env: Mapping[str, str] | None = None,
    timeout: float = 180,
) -> Iterator[Stack]:
    """Run `up` on free ports with names of its own; stop it and drop what it made after."""
    tag = uuid.uuid4().hex[:10]
    prefix = f"ticketing_bench_{tag}_"
    environ = {
        **os.environ,
        "DATABASE_URL": SERVER_URL,
        "REDIS_URL": REDIS_URL,
        "NATS_URL": NATS_URL,
        "TICKETING_DB_PREFIX": prefix,
        "TICKETING_GATEWAY": gateway,
        "EVENTS_STREAM": f"BENCH_{tag}",
        "EVENTS_SUBJECT_PREFIX": f"bench{tag}",
        "DRAMATIQ_NAMESPACE": f"bench{tag}",
        "LOG_LEVEL": log_level,
        **(extra_env or {}),
    }
    with tempfile.TemporaryDirectory(prefix="ticketing-bench-") as folder:
        environ["TICKETING_RUN_DIR"] = str(Path(folder) / "run")
        try:
            stack = _start_retrying(environ, Path(folder) / "run", tag, timeout)
            try:
                yield stack
            finally:
                _stop(stack)
        finally:
            drop_databases(SERVER_URL, prefix)
            delete_stream(NATS_URL, environ["EVENTS_STREAM"])
            _delete_namespace(environ["DRAMATIQ_NAMESPACE"])


def group_cpu(groups: Mapping[str, Iterable[int]]) -> dict[str, float]:
    """CPU seconds per named group of pids."""
    return {name: sum(cpu_seconds(pid) for pid in pids) for name, pids in groups.items()}


def group_memory(groups: Mapping[str, Iterable[int]]) -> dict[str, tuple[int, int]]:
    """(RSS, PSS) in KiB per named group of pids."""
    totals = {}
    for name, pids in groups.items():
        sizes = [memory_kib(pid) for pid in pids]
        totals[name] = (sum(rss for rss, _ in sizes), sum(pss for _, pss in sizes))
    return totals


def postgres_backends(prefix: str) -> list[int]:
    """Pids of the PostgreSQL backends connected to this stack's databases right now."""
    engine = sa.create_engine(server_url("postgres"))
    try:
        with engine.connect() as connection:
            return list(
                connection.scalars(
                    sa.text("SELECT pid FROM pg_stat_activity WHERE datname LIKE :pattern"),
                    {"pattern": prefix.replace("_", r"\_") + "%"},
                )
            )
    finally:
        engine.dispose()
