"""The image, built here and run for real: docker-compose up, the smoke test, a purchase.

Runs where a Docker engine answers (`docker info`) and docker-compose is installed; skips with
the reason otherwise (CI: deploy/docker/ci_engine.sh starts Debian's docker.io when it can).
The bases come from Debian packages (deploy/docker/build_image.py): no registry is needed.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from deploy.docker import build_image
from deploy.docker.compose_files import compose_v1
from devstack.ports import free_port

pytestmark = [pytest.mark.docker, pytest.mark.xdist_group("docker")]

ROOT = build_image.PROJECT_ROOT
OVERRIDE = "deploy/docker/compose.local-images.yaml"
START_TIMEOUT_SECONDS = 900
WORKER = "orders-sweep"
NO_ENGINE = "no Docker engine answers `docker info` (deploy/docker/ci_engine.sh starts one)"


def compose_command() -> list[str]:
    """docker-compose (v1), or the `docker compose` plugin when that is what is installed."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    plugin = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    if plugin.returncode == 0:
        return ["docker", "compose"]
    pytest.skip("neither docker-compose nor the docker compose plugin is installed")
    raise AssertionError("unreachable")


def engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    info = subprocess.run(["docker", "info"], capture_output=True, check=False, timeout=30)
    return info.returncode == 0


@dataclass(frozen=True)
class Platform:
    url: str
    project: str
    compose: list[str]
    start_seconds: float

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [*self.compose, "-p", self.project, "--project-directory", str(ROOT)]
        # Creating containers on vfs is slow: docker-compose v1 gives up after 60 s otherwise.
        env = {**os.environ, "COMPOSE_HTTP_TIMEOUT": "900"}
        return subprocess.run(
            [*command, *args], cwd=ROOT, capture_output=True, text=True, check=False, env=env
        )


def engine_limits(folder: Path) -> list[str]:
    """An override that fits the gateway's file limit under the engine's own hard limit.

    The compose file asks for 65,536 open files; a container cannot be given more than dockerd
    has (a sandbox may cap it lower, e.g. 20,000), and runc then refuses to start it.
    """
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or hard >= 65536:
        return []
    override = folder / "limits.yaml"
    override.write_text(
        "services:\n  gateway:\n    ulimits:\n"
        f"      nofile:\n        soft: {hard}\n        hard: {hard}\n"
    )
    return ["-f", str(override)]


def call(method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw.startswith(b"{") else raw.decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, None


def eventually(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(1)
    raise AssertionError(f"{what}: not within {timeout} s")


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    if not engine_answers():
        pytest.skip(
            "no Docker engine answers `docker info` (deploy/docker/ci_engine.sh starts one)"
        )
    compose = compose_command()
    try:
        report = build_image.build(
            build_image.IMAGE,
            build_image.PYTHON_BASE,
            build_image.INFRA_IMAGE,
            rebuild_bases=False,
            with_devtools=True,
        )
    except build_image.BuildError as exc:
        pytest.fail(f"the image did not build: {exc}")
    print(f"image built: {json.dumps(report)}", file=sys.stderr)
    port = free_port()
    project = f"ticketingtest{uuid.uuid4().hex[:8]}"
    url = f"http://127.0.0.1:{port}"
    folder = tmp_path_factory.mktemp("compose")
    env_file = folder / ".env"
    env_file.write_text(f"PORT={port}\nTICKETING_IMAGE={build_image.IMAGE}\n")
    # docker-compose v1 refuses the top-level `name`; the v2 plugin reads the file as it is.
    main_file = compose_v1(folder / "compose.yaml") if compose == ["docker-compose"] else None
    files = [
        "-f", str(main_file or ROOT / "docker-compose.yaml"),
        "-f", str(ROOT / OVERRIDE),
        *engine_limits(folder),
    ]  # fmt: skip
    started = time.monotonic()
    platform = Platform(url, project, [*compose, "--env-file", str(env_file), *files], 0.0)
    up = platform.run("up", "-d", "--no-build")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        eventually(
            lambda: (
                call("GET", f"{url}/api/tickets")[0] == 200
                and call("GET", f"{url}/api/orders/openapi.json")[0] == 200
                and call("GET", f"{url}/api/payments/openapi.json")[0] == 200
            ),
            START_TIMEOUT_SECONDS,
            "the platform answering through the gateway",
        )
        seconds = round(time.monotonic() - started, 1)
        print(f"compose up to every API answering: {seconds} s", file=sys.stderr)
        yield Platform(url, project, platform.compose, seconds)
    except BaseException:
        print(platform.run("logs", "--tail", "40").stdout[-20000:], file=sys.stderr)
        raise
    finally:
        platform.run("down", "-v", "--remove-orphans")


def test_the_helm_smoke_test_passes_against_the_composed_platform(platform: Platform) -> None:
    script = ROOT / "charts" / "ticketing" / "files" / "smoke_test.py"
    result = subprocess.run(
        [sys.executable, str(script)],
        env={"INGRESS_URL": platform.url, "SMOKE_TEST_SECONDS": "60", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def token_of(url: str, email: str) -> str:
    password = "correct horse battery"
    assert call("POST", f"{url}/api/users/signup", {"email": email, "password": password})[0] == 201
    status, body = call("POST", f"{url}/api/users/tokens", {"email": email, "password": password})
    assert status == 200, body
    return str(body["accessToken"])


def test_a_purchase_goes_through_every_container(platform: Platform) -> None:
    url = platform.url
    seller = token_of(url, f"seller-{uuid.uuid4().hex[:8]}@example.com")
    buyer = token_of(url, f"buyer-{uuid.uuid4().hex[:8]}@example.com")
    status, ticket = call("POST", f"{url}/api/tickets", {"title": "Gig", "price": "12.50"}, seller)
    assert status == 201, ticket

    def ordered() -> Any:
        status, order = call("POST", f"{url}/api/orders", {"ticketId": ticket["id"]}, buyer)
        return order if status == 201 else None

    order = eventually(ordered, 60, "the orders replica learning of the ticket")

    def paid() -> Any:
        # 409 + Retry-After until orders.created has reached the payments service.
        status, payment = call(
            "POST",
            f"{url}/api/payments",
            {"orderId": order["id"], "paymentMethod": "pm_card_visa"},
            buyer,
        )
        if status == 409 and "not reached payments yet" in payment["detail"]:
            return None
        assert status in {200, 201, 202}, payment
        return payment

    eventually(paid, 60, "the payments service learning of the order")

    def complete() -> bool:
        status, body = call("GET", f"{url}/api/orders/{order['id']}", token=buyer)
        return status == 200 and body["status"] == "complete"

    eventually(complete, 60, "the order completing")
    sold = eventually(
        lambda: call("GET", f"{url}/api/tickets/{ticket['id']}")[1]["status"] == "sold",
        60,
        "the ticket sold",
    )
    assert sold


def test_a_worker_container_turns_healthy_from_its_heartbeat(platform: Platform) -> None:
    container = platform.run("ps", "-q", WORKER).stdout.strip()
    assert container, platform.run("ps").stdout

    def health() -> str:
        inspect = subprocess.run(
            ["docker", "inspect", "--format", "{{.State.Health.Status}}", container],
            capture_output=True,
            text=True,
            check=False,
        )
        return inspect.stdout.strip()

    assert eventually(lambda: health() == "healthy", 90, f"{WORKER} healthy")
