"""Each service's own database: its URL on the shared server, created and migrated on start."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

from common.config import normalise_database_url
from devstack.services import Service, module_exists
from devstack.settings import LocalSettings, LocalStackError


def database_url(server_url: str, database: str) -> str:
    """The server URL (any postgres scheme) pointed at `database` through psycopg 3."""
    parts = urlsplit(normalise_database_url(server_url))
    return urlunsplit(parts._replace(path=f"/{database}"))


def migrate(
    settings: LocalSettings, services: Sequence[Service], environments: Mapping[str, dict[str, str]]
) -> None:
    """Run `python -m common.db.migrate SERVICE` for every service at once; fail with the output."""
    if not services:
        return
    if not module_exists("common.db.migrate"):
        raise LocalStackError("common.db.migrate is missing: migrations cannot run")
    running = {
        service.name: subprocess.Popen(
            [settings.python, "-m", "common.db.migrate", service.name],
            cwd=settings.project_root,
            env={**os.environ, **environments[service.name]},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for service in services
    }
    failures = []
    for name, process in running.items():
        output, _ = process.communicate()
        if process.returncode != 0:
            failures.append(f"--- {name} (exit {process.returncode}) ---\n{output}")
    if failures:
        raise LocalStackError("migrations failed:\n" + "\n".join(failures))
