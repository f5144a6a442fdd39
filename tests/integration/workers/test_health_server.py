"""Every worker serves /metrics, a heartbeat /healthz and /readyz on its own small port."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

import pytest

from common.errors import ConfigurationError
from devstack.ports import free_port
from tests.integration.workers.support import wait_until
from tests.worker_processes import worker_processes
from workers.health_server import HealthSettings, Heartbeat, WorkerHealthServer


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 (a local test URL)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except (urllib.error.URLError, ConnectionError):
        return 0, ""


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def serve() -> Iterator[Callable[..., WorkerHealthServer]]:
    servers: list[WorkerHealthServer] = []

    def start(**kwargs: object) -> WorkerHealthServer:
        settings = HealthSettings(port=0, host="127.0.0.1", max_silence_seconds=30)
        server = WorkerHealthServer("test-worker", settings, **kwargs).start()  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def test_healthz_turns_503_when_the_loop_stops_beating(
    serve: Callable[..., WorkerHealthServer],
) -> None:
    clock = FakeTime()
    beat = Heartbeat(clock)
    server = serve(checks={}, beat=beat)
    url = f"http://127.0.0.1:{server.port}/healthz"
    assert get(url)[0] == 200
    clock.now += 31
    status, body = get(url)
    assert status == 503 and json.loads(body)["status"] == "stalled"
    beat.beat()
    assert get(url)[0] == 200


def test_readyz_names_the_dependency_that_fails(serve: Callable[..., WorkerHealthServer]) -> None:
    def broken() -> None:
        raise ConnectionRefusedError

    server = serve(checks={"database": lambda: None, "nats": broken})
    status, body = get(f"http://127.0.0.1:{server.port}/readyz")
    assert status == 503
    assert json.loads(body)["checks"] == {
        "database": "ok",
        "nats": "failed: ConnectionRefusedError",
    }


def test_metrics_include_the_saga_metrics_and_other_paths_are_problems(
    serve: Callable[..., WorkerHealthServer],
) -> None:
    server = serve(checks={})
    status, text = get(f"http://127.0.0.1:{server.port}/metrics")
    assert status == 200
    assert "ticketing_saga_steps_total" in text
    assert "ticketing_dead_letters_total" in text
    status, body = get(f"http://127.0.0.1:{server.port}/admin")
    assert status == 404 and json.loads(body)["errors"][0]["message"]


@pytest.mark.parametrize("port", ["http", "70000", "-1"])
def test_a_bad_port_is_refused_at_start(port: str) -> None:
    with pytest.raises(ConfigurationError):
        HealthSettings.from_env({"WORKER_HEALTH_PORT": port})


def test_no_port_no_server() -> None:
    assert HealthSettings.from_env({}).port is None


WORKERS = {
    "orders-sweep": ("orders", ("workers.orders.sweep",)),
    "orders-relay": ("orders", ("workers.relay", "orders")),
    "orders-consumer": ("orders", ("workers.orders.consumer",)),
    "payments-reconciler": ("payments", ("workers.payments.reconciler",)),
    "expiration-scheduler": ("orders", ("workers.expiration.scheduler",)),
    "expiration-actors": (
        "orders",
        ("dramatiq", "workers.expiration.actors", "--processes", "1", "--threads", "1"),
    ),
    "payments-actors": (
        "payments",
        ("dramatiq", "workers.payments.actors", "--processes", "1", "--threads", "1"),
    ),
    "webhooks-consumer": ("webhooks", ("workers.webhooks.consumer",)),
    "webhooks-dispatcher": ("webhooks", ("workers.webhooks.dispatcher",)),
}


@pytest.mark.parametrize("worker", WORKERS)
def test_each_worker_process_serves_health_and_metrics(
    worker: str, service_env: Callable[..., dict[str, str]]
) -> None:
    service, args = WORKERS[worker]
    port = free_port()
    env = service_env(
        service,
        WORKER_HEALTH_PORT=str(port),
        STRIPE_API_KEY="sk_test_unused",
        STRIPE_WEBHOOK_SECRET="whsec_unused",
    )
    base = f"http://127.0.0.1:{port}"
    with worker_processes(env, stop_seconds=20) as start:
        process = start(*args)
        wait_until(lambda: get(f"{base}/healthz")[0] == 200 or process.poll() is not None, 30)
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        assert get(f"{base}/readyz")[0] == 200
        status, text = get(f"{base}/metrics")
        assert status == 200 and "ticketing_saga_steps_total" in text
        if worker.endswith("-relay"):
            assert 'ticketing_outbox_oldest_unpublished_age_seconds{service="orders"} 0.0' in text
        if worker.endswith("-consumer"):
            assert f'ticketing_dead_letters_open{{service="{service}"}} 0.0' in text
        if worker == "orders-sweep":
            assert 'ticketing_saga_stuck_runs{reason="unpaid_past_expiry"} 0.0' in text
        if worker == "payments-reconciler":
            assert 'ticketing_saga_stuck_runs{reason="charge_pending"} 0.0' in text
        if worker.endswith("-actors"):
            assert "ticketing_dramatiq_queue_messages{" in text
