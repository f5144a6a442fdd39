"""`up` with no URLs runs PostgreSQL, Redis and NATS from wheels in its run dir, then stops them."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devstack.ports import free_port, free_port_block
from devstack.probes import pid_from_file
from devstack.processes import alive
from devstack.up_process import UpProcess

# Whole stacks hold many connections: run them one at a time, on the e2e tests' worker.
pytestmark = pytest.mark.xdist_group("stack")


@pytest.fixture
def run_dir() -> Iterator[Path]:
    """A run dir outside pytest's owner-only temp tree, so PostgreSQL's own user can reach it."""
    folder = Path(tempfile.mkdtemp(prefix="ticketing-up-"))
    yield folder / "run"
    shutil.rmtree(folder, ignore_errors=True)


def embedded_env(run_dir: Path, port: int) -> dict[str, str]:
    given = ("DATABASE_URL", "REDIS_URL", "NATS_URL")
    return {
        **{name: value for name, value in os.environ.items() if name not in given},
        "PORT": str(port),
        "TICKETING_SERVICE_PORT_BASE": str(free_port_block()),
        "TICKETING_RUN_DIR": str(run_dir),
        "LOCAL_PG_PORT": str(free_port()),
        "LOCAL_REDIS_PORT": str(free_port()),
        "LOCAL_NATS_PORT": str(free_port()),
    }


def infrastructure_pids(run_dir: Path) -> list[int]:
    pidfiles = ("postgres/data/postmaster.pid", "redis/redis.pid", "nats/nats.pid")
    pids = [pid_from_file(run_dir / pidfile) for pidfile in pidfiles]
    assert None not in pids, pids
    return [pid for pid in pids if pid is not None]


@pytest.mark.slow
def test_up_runs_its_own_infrastructure_keeps_its_data_and_stops_it(run_dir: Path) -> None:
    port = free_port()
    env = embedded_env(run_dir, port)
    first = UpProcess(env)
    try:
        first.wait_until_up()
        response = requests.get(f"http://127.0.0.1:{port}/api/users/currentuser", timeout=5)
        assert response.json() == {"currentUser": None}
        infrastructure = infrastructure_pids(run_dir)
        processes = first.descendants()
        assert len(alive(infrastructure)) == 3
        assert first.stop() == 0, first.output
    finally:
        first.cleanup()
    assert "initialising PostgreSQL data" in first.output
    assert alive(infrastructure + processes) == []
    private_key = (run_dir / "keys" / "jwt-private.pem").read_text()

    second = UpProcess(env)
    try:
        second.wait_until_up()
        infrastructure = infrastructure_pids(run_dir)
        assert second.stop() == 0, second.output
    finally:
        second.cleanup()
    assert "initialising PostgreSQL data" not in second.output
    assert (run_dir / "keys" / "jwt-private.pem").read_text() == private_key
    assert (
        alive(infrastructure_pids(run_dir) if (run_dir / "redis/redis.pid").exists() else []) == []
    )
