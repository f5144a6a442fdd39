"""The image's contents, without Docker: the project wheel in a clean virtualenv runs each role.

The wheel is built from the files the Dockerfile copies (nothing else of the work tree), installed
with its dependencies into a fresh `python -m venv`, the migrations copied where the Dockerfile
puts them; then the entrypoint starts the roles from outside the source tree, against the real
PostgreSQL, Redis and NATS of the test suite.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from devstack.ports import free_port
from devstack.services import SERVICES, WORKERS, module_exists
from tests.conftest import NATS_URL, SERVER_URL, drop_database, worker_suffix
from tests.integration.charts.dockerfile import ENTRYPOINT, ROOT, stages

pytestmark = pytest.mark.slow
VENV = "/opt/venv"


@dataclass(frozen=True)
class Image:
    """A virtualenv laid out like the image's /opt/venv."""

    venv: Path
    workdir: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def environ(self, **extra: str) -> dict[str, str]:
        return {
            "PATH": f"{self.venv / 'bin'}:/usr/bin:/bin",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "TICKETING_HEALTH_URL_FILE": str(self.workdir / "health-url"),
            **extra,
        }


def build_context(into: Path) -> Path:
    """The paths the builder stage copies, and only those."""
    into.mkdir(parents=True)
    builder = stages()[1][0]
    for copy in builder.all("COPY"):
        *sources, _ = copy.words()
        for source in sources:
            origin = ROOT / source
            if origin.is_dir():
                shutil.copytree(
                    origin, into / source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
                )
            else:
                shutil.copy2(origin, into / source)
    return into


def pip(python: Path, *args: str) -> None:
    command = [str(python), "-m", "pip", "--disable-pip-version-check", "--quiet", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]


def build_image(scratch: Path) -> Image:
    context = build_context(scratch / "context")
    wheels = scratch / "wheels"
    pip(Path(sys.executable), "wheel", "--no-deps", "--wheel-dir", str(wheels), str(context))
    (wheel,) = wheels.glob("ticketing-*.whl")
    venv = scratch / "venv"
    # The image's python is 3.11, as is this one: the virtualenv's layout is the same.
    assert sys.version_info[:2] == (3, 11)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip(venv / "bin" / "python", "install", str(wheel))
    # The builder's COPYs into the virtualenv (files the wheel leaves out).
    for copy in stages()[1][0].all("COPY"):
        *sources, destination = copy.words()
        if destination.startswith(VENV):
            (source,) = sources
            target = venv / destination.removeprefix(VENV + "/")
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, target)
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / source, target)
    (scratch / "built").touch()
    return Image(venv, scratch)


@pytest.fixture(scope="session")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    """Built once per test run: xdist workers share it through their common temp folder."""
    base = tmp_path_factory.getbasetemp()
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    # Under xdist each worker's temp folder is a child of this run's: share the parent.
    shared = base.parent / f"ticketing-image-{run}" if run else base / "ticketing-image"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = Image(shared / "venv", shared)
        if not (shared / "built").exists():
            built = build_image(shared)
    workdir = tmp_path_factory.mktemp("work")
    return Image(built.venv, workdir)


@pytest.fixture
def start(image: Image) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start `ticketing ROLE ...` from the image's virtualenv; stopped (SIGTERM) afterwards."""
    started: list[subprocess.Popen[str]] = []

    def run(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            ["bash", str(ENTRYPOINT), *args],
            cwd=image.workdir,
            env=image.environ(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(process)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def stop(process: subprocess.Popen[str]) -> int:
    """SIGTERM, as Kubernetes sends it; the exit status."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("did not stop within 30 s of SIGTERM") from None


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - http only
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def wait_for(
    url: str, process: subprocess.Popen[str], seconds: float = 30
) -> tuple[int, str, bytes]:
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"exited {process.returncode}:\n{output[-3000:]}")
        try:
            return get(url)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def still_running_after(process: subprocess.Popen[str], seconds: float) -> None:
    time.sleep(seconds)
    if process.poll() is not None:
        output = process.stdout.read() if process.stdout else ""
        raise AssertionError(f"exited {process.returncode}:\n{output[-3000:]}")


def test_every_role_module_written_so_far_is_in_the_installed_image(image: Image) -> None:
    modules = [service.module for service in SERVICES] + [worker.module for worker in WORKERS]
    modules += ["common.db.migrate"]
    modules = [module for module in modules if not module.startswith("devtools.")]
    # Roles whose module is not written yet are left out, as `make up` leaves them out.
    written = [module for module in modules if module_exists(module)] + ["gunicorn", "dramatiq"]
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec(sys.argv[1]) is None)"
    for module in written:
        result = subprocess.run(
            [str(image.python), "-c", probe, module], cwd=image.workdir, check=False
        )
        assert result.returncode == 0, f"{module} is not installed"
    assert (
        subprocess.run(
            ["bash", str(ENTRYPOINT), "help"], env=image.environ(), capture_output=True, check=False
        ).returncode
        == 0
    )


def test_an_http_role_serves_health_and_stops_gracefully(
    image: Image,
    start: Callable[..., subprocess.Popen[str]],
    service_env: Callable[..., dict[str, str]],
) -> None:
    port = free_port()
    auth = start("service", "auth", env={**service_env("auth", signer=True), "PORT": str(port)})
    status, _, _ = wait_for(f"http://127.0.0.1:{port}/healthz", auth)
    assert status == 200
    assert get(f"http://127.0.0.1:{port}/readyz")[0] == 200
    # The HEALTHCHECK of the Dockerfile, pointed at this run's URL file.
    (healthcheck,) = stages()[1][-1].all("HEALTHCHECK")
    code = healthcheck.exec_form()[2].replace(
        "/tmp/ticketing-health-url", str(image.workdir / "health-url")
    )
    assert subprocess.run([str(image.python), "-c", code], check=False).returncode == 0
    assert stop(auth) == 0


def test_the_migrate_role_creates_and_upgrades_a_database(
    image: Image, start: Callable[..., subprocess.Popen[str]]
) -> None:
    name = f"ticketing_image_tickets{worker_suffix()}"
    url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    drop_database(name)
    try:
        migrate = start("migrate", "tickets", env={"DATABASE_URL": url, "APP_ENV": "production"})
        assert migrate.wait(timeout=120) == 0, migrate.stdout.read() if migrate.stdout else ""
        engine = create_engine(url)
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM alembic_version")) == 1
        engine.dispose()
    finally:
        drop_database(name)


async def delete_stream(name: str) -> None:
    client = await nats.connect(NATS_URL)
    try:
        await client.jetstream().delete_stream(name)
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await client.close()


def test_relay_and_consumer_roles_run_until_sigterm(
    start: Callable[..., subprocess.Popen[str]], service_env: Callable[..., dict[str, str]]
) -> None:
    stream = f"IMAGE_{uuid.uuid4().hex[:10].upper()}"
    events = {"EVENTS_STREAM": stream, "EVENTS_SUBJECT_PREFIX": stream.lower()}
    try:
        relay = start("relay", "tickets", env={**service_env("tickets"), **events})
        consumer = start("worker", "orders-consumer", env={**service_env("orders"), **events})
        still_running_after(relay, 3)
        still_running_after(consumer, 0)
        assert stop(relay) == 0
        assert stop(consumer) == 0
    finally:
        asyncio.run(delete_stream(stream))


@pytest.mark.parametrize("package", ["devtools", "devstack", "tests", "bench"])
def test_the_production_image_has_no_development_tools(image: Image, package: str) -> None:
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec(sys.argv[1]) is None)"
    result = subprocess.run(
        [str(image.python), "-c", probe, package], cwd=image.workdir, check=False
    )
    assert result.returncode == 1, f"{package}/ is in the production image"


def test_the_stripe_standin_role_is_refused_by_the_production_image(
    start: Callable[..., subprocess.Popen[str]],
) -> None:
    standin = start("stripe-standin", env={"STRIPE_STANDIN_PORT": str(free_port())})
    output, _ = standin.communicate(timeout=30)
    assert standin.returncode == 64
    assert "is a development tool: build the image with WITH_DEVTOOLS=true" in output


@pytest.fixture
def development_tools(tmp_path: Path) -> str:
    """What the Dockerfile's WITH_DEVTOOLS=true step adds, importable beside the rest."""
    for package in ("devtools", "devstack"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return str(tmp_path)


def test_stripe_standin_role_listens_on_its_port_in_a_development_image(
    start: Callable[..., subprocess.Popen[str]], development_tools: str
) -> None:
    port = free_port()
    env = {"STRIPE_STANDIN_PORT": str(port), "PYTHONPATH": development_tools}
    standin = start("stripe-standin", env=env)
    status, _, _ = wait_for(f"http://127.0.0.1:{port}/v1/payment_intents/pi_missing", standin)
    assert status in {401, 404}
    assert stop(standin) == 0


def test_nginx_config_role_renders_the_gateway_for_compose_in_a_development_image(
    image: Image, start: Callable[..., subprocess.Popen[str]], development_tools: str
) -> None:
    folder = image.workdir / "nginx"
    render = start("nginx-config", str(folder), env={"PYTHONPATH": development_tools})
    assert render.wait(timeout=60) == 0
    config = (folder / "nginx.conf").read_text()
    assert "listen 8080 backlog=4096;" in config and "127.0.0.1" not in config
    for service in SERVICES:
        assert f"server {service.name}:8080;" in config
    assert os.path.isdir(folder / "tmp" / "proxy")


@pytest.mark.parametrize("worker", ["expiration-actors", "payments-actors", "orders-sweep"])
def test_worker_roles_of_the_saga_run_until_sigterm(
    start: Callable[..., subprocess.Popen[str]],
    service_env: Callable[..., dict[str, str]],
    worker: str,
) -> None:
    service = worker.split("-")[0]
    env = service_env(service) if service != "expiration" else service_env("orders")
    if service == "expiration":
        env.pop("DATABASE_URL")
    process = start(
        "worker", worker, env={**env, "DRAMATIQ_NAMESPACE": f"image-{uuid.uuid4().hex}"}
    )
    still_running_after(process, 4)
    assert stop(process) == 0
