"""Bounded waiting: what waited past ADMISSION_MAX_WAIT_SECONDS gets a fast 503, never a hang.

The last test runs the real thing: gunicorn with one thread behind NGINX (which stamps
X-Request-Start), and more requests at once than the thread can serve within the bound.
"""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from common.config import ServiceSettings
from common.errors import ConfigurationError
from common.http.admission import queued_seconds
from common.http.admission_settings import AdmissionSettings
from deploy.gateway.routes import Route, RouteTable, Upstream
from deploy.nginx.render import Sizing, nginx_command, remove_page_cache, write_config
from devstack.gateway_process import find_nginx
from devstack.ports import free_port
from devstack.processes import wait_for_port
from devstack.procfile import gunicorn_argv
from devstack.settings import PROJECT_ROOT
from tests.e2e.common.admission_app import WORK_SECONDS, create_app

SERVICE_BUSY = "The service is busy; try again in a moment."
GATEWAY_BUSY = "The service behind this path is busy or unavailable; try again shortly"


def assert_shed(
    status: int, headers: Any, body: dict[str, Any], detail: str = SERVICE_BUSY
) -> None:
    assert status == 503
    assert headers["Content-Type"] == "application/problem+json"
    # The gateway spreads its clients' returns over 1-2 s; a service asks for 1.
    assert (
        headers["Retry-After"] == "1"
        if detail == SERVICE_BUSY
        else headers["Retry-After"] in ("1", "2")
    )
    assert body["status"] == 503
    assert body["title"] == "Service Unavailable"
    assert body["detail"] == detail
    if detail == SERVICE_BUSY:
        assert body["errors"] == [{"message": body["detail"], "field": None}]


@pytest.fixture
def client() -> FlaskClient:
    settings = ServiceSettings.from_env(
        "probe", {"APP_ENV": "test", "ADMISSION_MAX_WAIT_SECONDS": "0.3"}
    )
    return create_app(settings).test_client()


def stamp(seconds_ago: float) -> dict[str, str]:
    return {"X-Request-Start": f"t={time.time() - seconds_ago:.3f}"}


def test_a_request_that_waited_past_the_bound_is_shed_at_once(client: FlaskClient) -> None:
    started = time.monotonic()
    response = client.get("/api/probe/work", headers={**stamp(0.5), "X-Request-Id": "r-1"})

    assert time.monotonic() - started < WORK_SECONDS  # turned away, not worked on
    assert_shed(response.status_code, response.headers, response.json)
    assert response.json["requestId"] == "r-1"
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'http_requests_shed_total{reason="queued",service="probe"} 1.0' in metrics


def test_a_fresh_or_unstamped_request_is_served(client: FlaskClient) -> None:
    assert client.get("/api/probe/work", headers=stamp(0.05)).status_code == 200
    assert client.get("/api/probe/work").status_code == 200


def test_probes_go_through_however_long_they_waited(client: FlaskClient) -> None:
    assert client.get("/healthz", headers=stamp(5)).status_code == 200
    assert client.get("/metrics", headers=stamp(5)).status_code == 200


def test_a_database_pool_time_out_is_a_503_not_a_500(client: FlaskClient) -> None:
    response = client.get("/api/probe/pool")

    assert_shed(response.status_code, response.headers, response.json)


@pytest.mark.parametrize(
    ("stamp_text", "now", "age"),
    [
        ("t=100.250", 101.0, 0.75),
        ("100.5", 101.0, 0.5),
        ("t=1733390000250", 1733390001.0, 0.75),  # milliseconds
        ("t=102.0", 101.0, 0.0),  # a clock ahead of ours: unknown
        ("t=1.0", 1000.0, 0.0),  # older than any queue: a clock that disagrees
        ("nonsense", 101.0, 0.0),
        (None, 101.0, 0.0),
    ],
)
def test_the_stamp_is_read_as_nginx_and_other_proxies_write_it(
    stamp_text: str | None, now: float, age: float
) -> None:
    assert queued_seconds(stamp_text, now) == pytest.approx(age)


@pytest.mark.parametrize(
    "environ",
    [
        {"ADMISSION_MAX_WAIT_SECONDS": "0"},
        {"ADMISSION_MAX_WAIT_SECONDS": "soon"},
        {"ADMISSION_CONCURRENCY": "-1"},
    ],
)
def test_bad_admission_settings_refuse_to_start(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        AdmissionSettings.from_env(environ)


@pytest.fixture
def probe_behind_nginx(tmp_path: Path) -> Iterator[str]:
    """gunicorn (one gthread thread, bound 0.3 s) serving the probe, NGINX in front."""
    nginx = find_nginx()
    if nginx is None:
        pytest.skip("nginx is not installed (.ci/run installs it)")
    service_port, gateway_port = free_port(), free_port()
    argv = gunicorn_argv(
        sys.executable, "tests.e2e.common.admission_app:create_app()", service_port, threads=1
    )
    env = {**os.environ, "APP_ENV": "test", "ADMISSION_MAX_WAIT_SECONDS": "0.3"}
    routes = RouteTable(
        (Route("/api/probe", Upstream("127.0.0.1", service_port)),),
        Upstream("127.0.0.1", free_port()),
    )
    config = write_config(tmp_path, routes, gateway_port, timeout_seconds=30)
    processes = []
    with (tmp_path / "output.log").open("wb") as log:
        for command, environ in ((argv, env), (nginx_command(nginx, config), dict(os.environ))):
            processes.append(
                subprocess.Popen(
                    command,
                    cwd=PROJECT_ROOT,
                    env=environ,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                )
            )
    try:
        wait_for_port(service_port, processes[0])
        wait_for_port(gateway_port, processes[1])
        # gunicorn listens before its worker has loaded the app: wait until it serves.
        requests.get(f"http://127.0.0.1:{service_port}/healthz", timeout=30).raise_for_status()
        yield f"http://127.0.0.1:{gateway_port}"
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        remove_page_cache(tmp_path)


def test_a_burst_beyond_what_the_service_can_start_in_time_gets_fast_503s_through_nginx(
    probe_behind_nginx: str,
) -> None:
    def call(_: int) -> tuple[int, Any, dict[str, Any], float]:
        started = time.monotonic()
        response = requests.get(f"{probe_behind_nginx}/api/probe/work", timeout=30)
        return response.status_code, response.headers, response.json(), time.monotonic() - started

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(call, range(12)))

    statuses = Counter(status for status, _, _, _ in answers)
    assert set(statuses) == {200, 503}, statuses
    # One thread, WORK_SECONDS each: only what starts within the 0.3 s bound is served.
    assert 1 <= statuses[200] <= 2, statuses
    for status, headers, body, _ in answers:
        if status == 503:
            assert_shed(status, headers, body)
    # Nobody waits for the whole queue: 12 x 0.4 s of work would take 4.8 s.
    assert max(seconds for _, _, _, seconds in answers) < 2.0


def test_more_requests_than_a_service_may_hold_get_the_gateways_503_at_once(
    probe_behind_nginx: str,
) -> None:
    def call(_: int) -> tuple[int, Any, dict[str, Any], float]:
        started = time.monotonic()
        response = requests.get(f"{probe_behind_nginx}/api/probe/work", timeout=30)
        return response.status_code, response.headers, response.json(), time.monotonic() - started

    with concurrent.futures.ThreadPoolExecutor(100) as pool:
        answers = list(pool.map(call, range(100)))

    details = Counter(body.get("detail") for _, _, body, _ in answers)
    # Sizing.upstream_inflight reach the service: it serves what it can start in time
    # and sheds the rest; the gateway turns the others away without queueing them.
    assert details[GATEWAY_BUSY] >= 100 - Sizing().upstream_inflight, details
    for status, headers, body, _ in answers:
        if status == 503:
            assert_shed(status, headers, body, body["detail"])
            assert body["detail"] in (SERVICE_BUSY, GATEWAY_BUSY)
    gateway_waits = {h["Retry-After"] for _, h, b, _ in answers if b.get("detail") == GATEWAY_BUSY}
    assert gateway_waits == {"1", "2"}  # spread, not one wave a second
    assert max(seconds for _, _, _, seconds in answers) < 2.5
