"""The image, reviewed by reading it: stages, user, no build tools or secrets, what it copies."""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from pathlib import Path

import pytest

from common.db import migrate
from deploy.nginx import render
from devstack.services import SERVICES, WORKERS
from tests.integration.charts.dockerfile import ENTRYPOINT, ROOT, Stage, stages

SECRETISH = re.compile(r"SECRET|PASSWORD|TOKEN|API_KEY|PRIVATE", re.IGNORECASE)


def runtime() -> Stage:
    return stages()[1][-1]


def test_two_stages_from_python_311_slim() -> None:
    _, all_stages = stages()
    assert [stage.name for stage in all_stages] == ["builder", "runtime"]
    for stage in all_stages:
        assert re.fullmatch(r"python:3\.11-slim(-bookworm)?(@sha256:[0-9a-f]{64})?", stage.base)


def test_the_builder_installs_the_project_wheel_into_a_virtualenv() -> None:
    runs = " ".join(i.arguments for i in stages()[1][0].all("RUN"))
    assert "python -m venv /opt/venv" in runs
    assert "pip wheel --no-deps" in runs and "pip install /tmp/wheels/ticketing-" in runs


def test_the_runtime_copies_only_the_virtualenv_and_the_entrypoint() -> None:
    copies = runtime().all("COPY")
    sources = [
        (instruction.words()[0] if instruction.words()[0].startswith("--from") else None)
        or instruction.words()[-2]
        for instruction in copies
    ]
    assert sources == ["--from=builder", "deploy/docker/entrypoint.sh"]
    assert not runtime().all("ADD")


def test_the_runtime_has_no_build_tools_and_no_secrets() -> None:
    for instruction in runtime().all("RUN"):
        assert not re.search(r"apt-get|apk |pip |gcc|make|curl|wget", instruction.arguments)
    for keyword in ("ENV", "ARG", "LABEL"):
        for instruction in runtime().all(keyword):
            names = re.findall(r"(\w+)=", instruction.arguments)
            assert not [name for name in names if SECRETISH.search(name)], instruction


def test_the_runtime_runs_as_uid_10001() -> None:
    (user,) = runtime().all("USER")
    assert user.arguments == "10001:10001"
    creates = " ".join(i.arguments for i in runtime().all("RUN"))
    assert "--uid 10001" in creates and "--gid 10001" in creates


def test_the_entrypoint_is_the_role_script_in_exec_form() -> None:
    (entrypoint,) = runtime().all("ENTRYPOINT")
    (copy,) = [c for c in runtime().all("COPY") if "entrypoint.sh" in c.arguments]
    assert entrypoint.exec_form() == [copy.words()[-1]]
    assert "--chmod" not in copy.arguments  # BuildKit-only; the classic builder keeps git's mode
    assert os.access(ROOT / "deploy" / "docker" / "entrypoint.sh", os.X_OK)
    assert runtime().all("CMD")[0].exec_form() == ["help"]


def test_the_healthcheck_is_python_reading_the_url_the_entrypoint_leaves() -> None:
    (check,) = runtime().all("HEALTHCHECK")
    command = check.exec_form()
    assert command[:2] == ["python", "-c"]
    compile(command[2], "HEALTHCHECK", "exec")
    assert "/tmp/ticketing-health-url" in command[2]
    assert "HEALTH_URL_FILE=${TICKETING_HEALTH_URL_FILE:-/tmp/ticketing-health-url}" in (
        ENTRYPOINT.read_text()
    )


def test_migrations_land_where_the_migrate_command_looks_for_them() -> None:
    (copy,) = [c for c in stages()[1][0].all("COPY") if c.words()[0] == "migrations/"]
    destination = Path(copy.words()[1])
    # common/db/migrate.py looks next to the `common` package, which is site-packages.
    site_packages = Path("/opt/venv/lib/python3.11/site-packages")
    installed = site_packages / "common" / "db" / "migrate.py"
    assert destination == site_packages / "migrations"
    assert Path(migrate.__file__).resolve().parents[2] / "migrations" == migrate.MIGRATIONS_ROOT
    assert installed.parents[2] / "migrations" == destination


def test_the_nginx_template_lands_next_to_its_renderer() -> None:
    (copy,) = [c for c in stages()[1][0].all("COPY") if c.words()[0].endswith(".j2")]
    source, destination = copy.words()
    assert ROOT / source == render.TEMPLATE
    site_packages = Path("/opt/venv/lib/python3.11/site-packages")
    assert Path(destination) == site_packages / "deploy" / "nginx"


def dockerignore_keeps(path: str) -> bool:
    """Whether the build context keeps `path` (last matching .dockerignore pattern wins)."""
    kept = True
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        parts = Path(path).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes) or pattern == "**":
            kept = negated
    return kept


def test_every_copied_source_exists_and_is_in_the_build_context() -> None:
    for stage in stages()[1]:
        for copy in stage.all("COPY"):
            words = [word for word in copy.words() if not word.startswith("--")]
            if copy.words()[0].startswith("--from"):
                continue
            for source in words[:-1]:
                assert (ROOT / source).exists(), source
                assert dockerignore_keeps(source.rstrip("/")), source
    for private in (".venv", ".run/keys", ".git", ".tox"):
        assert not dockerignore_keeps(private), private


def dry_run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ENTRYPOINT), *args],
        env={"PATH": "/usr/bin:/bin", "TICKETING_DRY_RUN": "1", **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("worker", WORKERS, ids=[worker.name for worker in WORKERS])
def test_each_worker_role_runs_the_local_stack_command(worker: object) -> None:
    from devstack.services import Worker

    assert isinstance(worker, Worker)
    result = dry_run("worker", worker.name)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[: 1 + len(worker.args)] == ["python", *worker.args]


@pytest.mark.parametrize("service", SERVICES, ids=[service.name for service in SERVICES])
def test_each_service_role_runs_gunicorn_on_the_app_factory(service: object) -> None:
    from devstack.services import Service

    assert isinstance(service, Service)
    words = dry_run("service", service.name).stdout.split()
    assert words[:2] == ["gunicorn", "--no-control-socket"]
    assert words[-1] == service.app
    assert "0.0.0.0:8080" in words and "gthread" in words


@pytest.mark.parametrize(
    "args",
    [("service", "billing"), ("relay",), ("relay", "web"), ("nonsense",), ("migrate", "a", "b")],
)
def test_a_wrong_role_is_refused_with_usage(args: tuple[str, ...]) -> None:
    result = dry_run(*args)
    assert result.returncode == 64
    assert "ticketing help" in result.stderr


def test_gunicorn_worker_class_and_counts_come_from_the_environment() -> None:
    default = dry_run("service", "orders").stdout.split()
    assert default[default.index("-k") + 1 :][:5] == ["gthread", "--threads", "8", "-w", "1"]
    sync = dry_run("service", "orders", GUNICORN_WORKER_CLASS="sync", GUNICORN_WORKERS="4")
    words = sync.stdout.split()
    assert words[words.index("-k") + 1 :][:3] == ["sync", "-w", "4"]
    assert "--threads" not in words


def test_one_shot_roles() -> None:
    assert dry_run("migrate", "orders").stdout.split() == [
        "python", "-m", "common.db.migrate", "orders",
    ]  # fmt: skip
    # The cluster has no Python gateway: the web calls each API through its Service.
    assert dry_run("gateway").returncode != 0
    assert dry_run("help").stdout.startswith("usage: ticketing ROLE")
