"""The route table both gateways share, and the NGINX configuration rendered from it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from deploy.gateway.routes import Route, RouteTable, Upstream
from deploy.nginx.render import write_config
from devstack.gateway_process import find_nginx, route_table
from devstack.settings import LocalSettings

TABLE = RouteTable(
    (Route("/api/users", Upstream("127.0.0.1", 8101)),),
    Upstream("127.0.0.1", 8100),
)


@pytest.mark.parametrize(
    ("path", "port"),
    [
        ("/api/users", 8101),
        ("/api/users/currentuser", 8101),
        ("/api/usersx", None),
        ("/api", None),
        ("/api/", None),
        ("/apis", 8100),
        ("/", 8100),
        ("/tickets/1", 8100),
    ],
)
def test_paths_go_to_the_prefix_owner_nobody_or_the_web(path: str, port: int | None) -> None:
    upstream = TABLE.upstream_for(path)

    assert (upstream.port if upstream else None) == port


def test_the_table_survives_the_trip_through_the_environment() -> None:
    assert RouteTable.from_environ(TABLE.to_environ()) == TABLE


@pytest.mark.parametrize("address", ["127.0.0.1", "https://127.0.0.1:1", "http://:80"])
def test_an_upstream_needs_an_http_host_and_port(address: str) -> None:
    with pytest.raises(ValueError, match="upstream"):
        Upstream.parse(address)


def test_the_stack_routes_every_api_of_the_service_table() -> None:
    settings = LocalSettings.from_environ({"TICKETING_SERVICE_PORT_BASE": "9100"})

    table = route_table(settings)

    assert {route.prefix: route.upstream.port for route in table.routes} == {
        "/api/users": 9101,
        "/api/tickets": 9102,
        "/api/orders": 9103,
        "/api/payments": 9104,
        "/api/webhooks": 9105,
    }
    assert table.default.port == 9100


def test_nginx_accepts_the_rendered_configuration(tmp_path: Path) -> None:
    nginx = find_nginx()
    if nginx is None:
        pytest.skip("nginx is not installed (.ci/run installs it)")
    config = write_config(tmp_path, route_table(LocalSettings.from_environ({})), 8080)

    result = subprocess.run(
        [nginx, "-t", "-e", "stderr", "-p", f"{tmp_path}/", "-c", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
