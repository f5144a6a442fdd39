"""The pieces `up` assembles: settings, database URLs, Procfile lines, service presence, keys."""

from __future__ import annotations

import stat
from pathlib import Path

import jwt
import pytest

from devstack.databases import database_url
from devstack.devkeys import ensure_dev_secrets
from devstack.infrastructure import InfrastructureUrls
from devstack.procfile import ProcessSpec, gunicorn_argv
from devstack.services import SERVICES, module_exists
from devstack.settings import LocalSettings, LocalStackError
from devstack.stack import plan_stack

MARKER = "ticketing development key: never use in production\n"


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("postgres://u:p@db:5433/postgres", "postgresql+psycopg://u:p@db:5433/ticketing_auth"),
        ("postgresql://db", "postgresql+psycopg://db/ticketing_auth"),
        (
            "postgresql+psycopg://db/x?sslmode=require",
            "postgresql+psycopg://db/ticketing_auth?sslmode=require",
        ),
    ],
)
def test_each_service_gets_its_own_database_on_the_given_server(server: str, expected: str) -> None:
    assert database_url(server, "ticketing_auth") == expected


def test_settings_default_to_the_documented_ports() -> None:
    settings = LocalSettings.from_environ({})

    assert settings.gateway_url == "http://127.0.0.1:8080"
    assert (settings.postgres_port, settings.redis_port, settings.nats_port) == (
        15432,
        16379,
        14222,
    )
    assert [service.port(settings.service_port_base) for service in SERVICES] == list(
        range(8100, 8106)
    )
    assert settings.run_dir.name == ".run"


@pytest.mark.parametrize(("name", "value"), [("PORT", "eighty"), ("TICKETING_GATEWAY", "caddy")])
def test_bad_settings_are_refused_with_the_variable_named(name: str, value: str) -> None:
    with pytest.raises(LocalStackError, match=name):
        LocalSettings.from_environ({name: value})


def test_a_procfile_line_execs_the_command_with_its_own_variables_quoted() -> None:
    spec = ProcessSpec(
        "auth", ["python", "-m", "gunicorn", "api.auth.app:create_app()"], {"A": "1 2"}
    )

    assert spec.procfile_line() == (
        "auth: exec env 'A=1 2' python -m gunicorn 'api.auth.app:create_app()'"
    )


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def test_gunicorn_runs_the_workers_class_and_threads_it_is_given() -> None:
    argv = gunicorn_argv("python", "api.orders.app:create_app()", 8103, 4, workers=3)

    assert (_option(argv, "-k"), _option(argv, "-w"), _option(argv, "--threads")) == (
        "gthread",
        "3",
        "4",
    )
    assert argv[-1] == "api.orders.app:create_app()"


def test_sync_workers_get_no_threads_option() -> None:
    argv = gunicorn_argv(
        "python", "api.orders.app:create_app()", 8103, workers=4, worker_class="sync"
    )

    assert (_option(argv, "-k"), _option(argv, "-w"), _option(argv, "--threads")) == (
        "sync",
        "4",
        None,
    )


def test_each_service_runs_with_the_gunicorn_settings_of_the_service_table(tmp_path: Path) -> None:
    settings = LocalSettings.from_environ(
        {"TICKETING_RUN_DIR": str(tmp_path / "run"), "TICKETING_GATEWAY": "python"}
    )
    urls = InfrastructureUrls("postgresql://db/postgres", "redis://r/0", "nats://n:4222")

    stack = plan_stack(settings, urls, ensure_dev_secrets(tmp_path / "run"))

    argv_of = {spec.name: list(spec.argv) for spec in stack.processes}
    for service in stack.services:
        argv = argv_of[service.name]
        assert _option(argv, "-k") == service.worker_class, service.name
        assert _option(argv, "-w") == str(service.workers), service.name
        assert _option(argv, "-b") == f"127.0.0.1:{service.port(settings.service_port_base)}"


@pytest.mark.parametrize(
    ("module", "exists"),
    [
        ("devstack.up", True),
        ("devstack.stack", True),
        ("api.nothing.app", False),
        ("nope.app", False),
    ],
)
def test_a_service_is_present_when_its_module_exists(module: str, exists: bool) -> None:
    assert module_exists(module) is exists


def test_development_keys_are_marked_private_and_never_replaced(tmp_path: Path) -> None:
    first = ensure_dev_secrets(tmp_path)
    private = first.private_key_file.read_text()
    first.public_key_file.unlink()

    second = ensure_dev_secrets(tmp_path)

    assert second == first
    assert second.private_key_file.read_text() == private
    assert private.startswith(MARKER + "-----BEGIN PRIVATE KEY-----")
    assert second.public_key_file.read_text().startswith(MARKER + "-----BEGIN PUBLIC KEY-----")
    assert stat.S_IMODE(second.private_key_file.stat().st_mode) == 0o600
    assert len(second.secret_key) >= 32


def test_the_development_public_key_verifies_what_the_private_key_signs(tmp_path: Path) -> None:
    secrets = ensure_dev_secrets(tmp_path)
    token = jwt.encode({"sub": "1"}, secrets.private_key_file.read_text(), algorithm="RS256")

    claims = jwt.decode(token, secrets.public_key_file.read_text(), algorithms=["RS256"])

    assert claims == {"sub": "1"}
