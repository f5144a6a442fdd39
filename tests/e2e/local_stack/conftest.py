"""Fixtures of the local stack tests: echo upstreams and both gateways in front of them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.gateway.routes import Route, RouteTable, Upstream
from deploy.nginx.render import nginx_command, remove_page_cache, write_config
from devstack.gateway_process import find_nginx
from devstack.ports import free_port
from devstack.processes import wait_for_port
from devstack.procfile import gunicorn_argv
from devstack.settings import PROJECT_ROOT
from tests.e2e.local_stack.upstreams import echo_app, serving

GATEWAY_KINDS = ("python", "nginx")
TEST_TIMEOUT_SECONDS = 1


@dataclass(frozen=True)
class Upstreams:
    """Ports of the echo servers and of a port nobody listens on."""

    auth: int
    web: int
    dead: int

    def routes(self) -> RouteTable:
        return RouteTable(
            (
                Route("/api/users", Upstream("127.0.0.1", self.auth)),
                Route("/api/tickets", Upstream("127.0.0.1", self.dead)),
            ),
            Upstream("127.0.0.1", self.web),
        )


@dataclass(frozen=True)
class RunningGateway:
    kind: str
    url: str


@pytest.fixture(scope="module")
def upstreams() -> Iterator[Upstreams]:
    with serving(echo_app("auth")) as auth, serving(echo_app("web")) as web:
        yield Upstreams(auth=auth, web=web, dead=free_port())


def gateway_command(
    kind: str, routes: RouteTable, port: int, folder: Path
) -> tuple[list[str], dict[str, str]]:
    """How to run each gateway in front of `routes` with a one-second upstream timeout."""
    if kind == "nginx":
        nginx = find_nginx()
        if nginx is None:
            pytest.skip("nginx is not installed (.ci/run installs it)")
        config = write_config(folder, routes, port, timeout_seconds=TEST_TIMEOUT_SECONDS)
        return nginx_command(nginx, config), dict(os.environ)
    argv = gunicorn_argv(sys.executable, "deploy.gateway.app:create_app()", port)
    env = {
        **os.environ,
        **routes.to_environ(),
        "GATEWAY_TIMEOUT_SECONDS": str(TEST_TIMEOUT_SECONDS),
    }
    return argv, env


@pytest.fixture(scope="module", params=GATEWAY_KINDS)
def gateway(
    request: pytest.FixtureRequest, upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningGateway]:
    """The Python gateway under gunicorn, or NGINX with the rendered config, as a real process."""
    kind: str = request.param
    folder = tmp_path_factory.mktemp(f"gateway-{kind}")
    port = free_port()
    argv, env = gateway_command(kind, upstreams.routes(), port, folder)
    with (folder / "output.log").open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    try:
        wait_for_port(port, process)
        yield RunningGateway(kind, f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=30)
        remove_page_cache(folder)
