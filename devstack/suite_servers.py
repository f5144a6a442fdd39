"""PostgreSQL, Redis and NATS for the test suite: the given or default ones, else embedded."""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from devstack.infrastructure import EmbeddedServer
from devstack.nats_server import EmbeddedNats
from devstack.postgres_server import EmbeddedPostgres
from devstack.probes import port_answers
from devstack.redis_server import EmbeddedRedis

# What the suite uses when nothing is set: the servers CI and the developer machines run.
DEFAULT_URLS = {
    "TEST_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "TEST_REDIS_URL": "redis://127.0.0.1:6379",
    "TEST_NATS_URL": "nats://127.0.0.1:4222",
}
# A whole stack (every service, relay and consumer) holds about 60 connections, and a few
# stacks run side by side with the other tests under xdist.
POSTGRES_SETTINGS = ("max_connections=300",)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    return port_answers(parts.hostname or "127.0.0.1", parts.port or 0)


@dataclass
class SuiteServers:
    """The servers this test run started itself (empty when every URL was given or answered)."""

    urls: dict[str, str]
    origins: dict[str, str] = field(default_factory=dict)  # variable: given, default or embedded
    started: list[EmbeddedServer] = field(default_factory=list)
    scratch: list[Path] = field(default_factory=list)

    def stop(self) -> None:
        """Stop what this run started, last started first, and remove its scratch folders."""
        for server in reversed(self.started):
            server.stop()
        self.started.clear()
        for path in self.scratch:
            shutil.rmtree(path, ignore_errors=True)
        self.scratch.clear()


def _embedded(variable: str, folder: Path, servers: SuiteServers) -> EmbeddedServer:
    """PostgreSQL keeps its cluster across runs (initdb is the slow part); the others start
    empty in a folder of this run, so a server an interrupted run left behind is never reused."""
    if variable == "TEST_DATABASE_URL":
        postgres = EmbeddedPostgres(folder / "postgres", _free_port(), POSTGRES_SETTINGS)
        if not postgres.initialised():
            postgres.initialise()
        return postgres
    folder.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=folder))
    servers.scratch.append(scratch)
    if variable == "TEST_REDIS_URL":
        return EmbeddedRedis(scratch / "redis", _free_port())
    return EmbeddedNats(scratch / "nats", _free_port())


def provide(environ: MutableMapping[str, str], folder: Path) -> SuiteServers:
    """Use each TEST_*_URL that is set, else the default server if it answers, else start one.

    A variable set to `embedded` (or TEST_SERVERS=embedded, for all three) starts ours anyway;
    TEST_SERVERS=none starts and probes nothing (the unit tier needs no server).

    The chosen URLs are written back into `environ`, so test processes started later (xdist
    workers, stacks) inherit them and start nothing themselves.
    """
    servers = SuiteServers(urls={})
    if environ.get("TEST_SERVERS") == "none":
        # The unit tier (`make test-fast`) needs no server: probe and start nothing.
        for variable, default in DEFAULT_URLS.items():
            environ[variable] = servers.urls[variable] = environ.get(variable) or default
            servers.origins[variable] = "not used"
        return servers
    forced = environ.get("TEST_SERVERS") == "embedded"
    for variable, default in DEFAULT_URLS.items():
        url, servers.origins[variable] = environ.get(variable) or "", "given"
        if forced or url == "embedded":
            url = ""
        elif not url and _answers(default):
            url, servers.origins[variable] = default, "default"
        if not url:
            servers.origins[variable] = "embedded"
            server = _embedded(variable, folder, servers)
            if not server.is_running():
                server.start()
            servers.started.append(server)
            # Redis URLs name no database: each test worker picks its own.
            url = server.url().removesuffix("/0")
        environ[variable] = servers.urls[variable] = url
    return servers


def described(servers: SuiteServers) -> str:
    """One line saying which server each variable names and where it came from."""
    return ", ".join(
        f"{variable.removeprefix('TEST_').removesuffix('_URL').lower()} {url} "
        f"({servers.origins.get(variable, 'given')})"
        for variable, url in servers.urls.items()
    )
