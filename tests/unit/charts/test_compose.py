"""docker-compose.yaml runs what `make up` runs (no Docker engine here: read, not started)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from devstack import environment
from devstack.compose_support import CONTAINER_PORT, compose_routes
from devstack.services import SERVICES, WORKERS
from tests.integration.charts.conftest import ROOT


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())
    return document["services"]


def test_every_service_runs_its_role_after_its_migration(compose: dict[str, Any]) -> None:
    for service in SERVICES:
        container = compose[service.name]
        assert container["command"] == ["service", service.name]
        if service.has_database:
            database = container["environment"]["DATABASE_URL"]
            assert database.endswith(f"/ticketing_{service.name}")
            assert compose[f"migrate-{service.name}"]["command"] == ["migrate", service.name]
            assert compose[f"migrate-{service.name}"]["environment"]["DATABASE_URL"] == database
            condition = container["depends_on"][f"migrate-{service.name}"]["condition"]
            assert condition == "service_completed_successfully"
        assert ("JWT_PRIVATE_KEY_FILE" in container["environment"]) is service.signs_tokens


def test_every_worker_runs_with_its_service_database(compose: dict[str, Any]) -> None:
    for worker in WORKERS:
        container = compose[worker.name]
        assert container["command"] == ["worker", worker.name]
        database = container.get("environment", {}).get("DATABASE_URL")
        if worker.service is None:
            assert database is None, worker.name
        else:
            assert database == compose[worker.service]["environment"]["DATABASE_URL"]


def test_payments_and_the_stand_in_share_the_local_stack_secrets(compose: dict[str, Any]) -> None:
    payments = compose["payments"]["environment"]
    standin = compose["stripe"]["environment"]
    assert payments["STRIPE_API_KEY"] == environment.STANDIN_API_KEY
    assert payments["STRIPE_WEBHOOK_SECRET"] == environment.STANDIN_WEBHOOK_SECRET
    assert standin["STRIPE_WEBHOOK_SECRET"] == environment.STANDIN_WEBHOOK_SECRET
    assert payments["STRIPE_API_BASE"] == f"http://stripe:{standin['STRIPE_STANDIN_PORT']}"
    assert standin["STRIPE_WEBHOOK_URL"] == f"http://payments:{CONTAINER_PORT}/api/payments/webhook"


def test_the_gateway_is_nginx_with_the_rendered_configuration(compose: dict[str, Any]) -> None:
    gateway = compose["gateway"]
    assert gateway["image"].startswith("nginx:")
    assert gateway["command"][gateway["command"].index("-c") + 1] == (
        "/run/ticketing/nginx/nginx.conf"
    )
    assert compose["nginx-config"]["command"] == ["nginx-config", "/run/ticketing/nginx"]
    assert gateway["ports"] == ["${PORT:-8080}:8080"]
    assert compose["web"]["environment"]["GATEWAY_URL"] == f"http://gateway:{CONTAINER_PORT}"
    routes = compose_routes()
    for service in SERVICES:
        if service.prefix:
            upstream = routes.upstream_for(service.prefix + "/x")
            assert upstream is not None and upstream.host == service.name
            assert upstream.host in gateway["depends_on"]
    assert routes.upstream_for("/api/nope") is None


def test_the_data_stores_run_like_the_local_ones(compose: dict[str, Any]) -> None:
    assert "-js" in compose["nats"]["command"]
    assert compose["postgres"]["image"].startswith("postgres:")
    assert compose["redis"]["image"].startswith("redis:")
    for name in ("postgres", "redis", "nats"):
        assert compose[name]["healthcheck"]["test"][0] == "CMD"
