"""`up` against the machine's PostgreSQL, Redis and NATS: serves via the gateway, stops clean."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from deploy.nginx.render import page_cache_path
from devstack.cleanup import delete_stream, drop_databases
from devstack.gateway_process import find_nginx
from devstack.ports import free_port, free_port_block
from devstack.processes import alive
from devstack.services import SERVICES
from devstack.up_process import UpProcess

# Whole stacks hold many connections: run them one at a time, on the e2e tests' worker.
pytestmark = pytest.mark.xdist_group("stack")

SERVER_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
NATS_URL = os.environ.get("TEST_NATS_URL", "nats://127.0.0.1:4222")
DATABASE_PREFIX = f"ticketing_e2e_{os.getpid()}_"


@pytest.fixture
def databases() -> Iterator[str]:
    """A database name prefix of this test run; its databases are dropped afterwards."""
    yield DATABASE_PREFIX
    drop_databases(SERVER_URL, DATABASE_PREFIX)


@pytest.fixture
def messaging() -> Iterator[dict[str, str]]:
    """A JetStream stream, subject prefix and Dramatiq namespace nobody else uses."""
    tag = uuid.uuid4().hex[:10]
    yield {
        "EVENTS_STREAM": f"E2E_{tag}",
        "EVENTS_SUBJECT_PREFIX": f"e2e{tag}",
        "DRAMATIQ_NAMESPACE": f"e2e{tag}",
    }
    delete_stream(NATS_URL, f"E2E_{tag}")


@pytest.mark.parametrize("gateway_kind", ["python", "nginx"])
def test_up_serves_every_service_through_the_gateway_and_sigterm_stops_every_process(
    gateway_kind: str, databases: str, messaging: dict[str, str], tmp_path: Path
) -> None:
    if gateway_kind == "nginx" and find_nginx() is None:
        pytest.skip("nginx is not installed (.ci/run installs it)")
    port, base = free_port(), free_port_block()
    up = UpProcess(
        {
            **os.environ,
            "DATABASE_URL": SERVER_URL,
            "REDIS_URL": f"{REDIS_BASE}/0",
            "NATS_URL": NATS_URL,
            "PORT": str(port),
            "TICKETING_SERVICE_PORT_BASE": str(base),
            "TICKETING_RUN_DIR": str(tmp_path / "run"),
            "TICKETING_DB_PREFIX": databases,
            "TICKETING_GATEWAY": gateway_kind,
            **messaging,
        }
    )
    try:
        up.wait_until_up()

        current = requests.get(f"http://127.0.0.1:{port}/api/users/currentuser", timeout=5)
        assert current.status_code == 200
        assert current.json() == {"currentUser": None}
        running = [service for service in SERVICES if service.present()]
        for service in running:
            health = requests.get(f"http://127.0.0.1:{service.port(base)}/healthz", timeout=5)
            assert health.status_code == 200, service.name
        assert requests.get(f"http://127.0.0.1:{port}/api/none", timeout=5).status_code == 404
        assert f"gateway: {'NGINX' if gateway_kind == 'nginx' else 'Python gateway'}" in up.output
        processes = up.descendants()
        assert len(processes) > 2 * len(running)
        page_cache = page_cache_path(tmp_path / "run" / "nginx")
        assert page_cache.is_dir() == (gateway_kind == "nginx")
        if gateway_kind == "nginx":
            # NGINX's access log is a buffered file: honcho relays no line per request.
            access_log = tmp_path / "run" / "logs" / "gateway-access.log"
            assert f"access log {access_log}" in up.output
            assert "/api/none" not in up.output

        assert up.stop() == 0, up.output
        assert alive(processes) == []
        if gateway_kind == "nginx":
            logged = access_log.read_text()  # flushed at the latest when NGINX stops
            assert '"GET /api/none HTTP/1.1" 404' in logged, logged
        assert not page_cache.exists()  # NGINX's page cache lives in /tmp: removed at stop
    finally:
        up.cleanup()


def test_the_run_dir_gets_the_procfile_keys_and_owner_only_secrets(
    databases: str, messaging: dict[str, str], tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    up = UpProcess(
        {
            **os.environ,
            "DATABASE_URL": SERVER_URL,
            "REDIS_URL": f"{REDIS_BASE}/0",
            "NATS_URL": NATS_URL,
            "PORT": str(free_port()),
            "TICKETING_SERVICE_PORT_BASE": str(free_port_block()),
            "TICKETING_RUN_DIR": str(run_dir),
            "TICKETING_DB_PREFIX": databases,
            "TICKETING_GATEWAY": "python",
            **messaging,
        }
    )
    try:
        up.wait_until_up()
        private_key = (run_dir / "keys" / "jwt-private.pem").read_text()
        public_key = (run_dir / "keys" / "jwt-public.pem").read_text()
        procfile = (run_dir / "Procfile").read_text()
        assert up.stop() == 0
    finally:
        up.cleanup()

    marker = "ticketing development key: never use in production\n"
    assert private_key.startswith(marker + "-----BEGIN PRIVATE KEY-----")
    assert public_key.startswith(marker + "-----BEGIN PUBLIC KEY-----")
    for secret in ("keys/jwt-private.pem", "secrets/secret_key", "Procfile", "env"):
        assert (run_dir / secret).stat().st_mode & 0o077 == 0, secret
    assert "auth: exec env DATABASE_URL=postgresql+psycopg://" in procfile
    assert f"/{databases}auth JWT_PRIVATE_KEY_FILE=" in procfile
