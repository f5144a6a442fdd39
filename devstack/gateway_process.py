"""The gateway process of the stack: NGINX when installed, else the Python gateway."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from deploy.gateway.routes import Route, RouteTable, Upstream
from deploy.nginx.render import nginx_command, write_config
from devstack.procfile import ProcessSpec, gunicorn_argv
from devstack.services import SERVICES
from devstack.settings import LocalSettings, LocalStackError

GATEWAY_THREADS = 32


def find_nginx() -> str | None:
    """The nginx executable on PATH (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
    return shutil.which("nginx", path=path)


def route_table(settings: LocalSettings) -> RouteTable:
    """Every API prefix of the service table (present or not) and the web as the default."""
    base = settings.service_port_base
    routes = tuple(
        Route(service.prefix, Upstream("127.0.0.1", service.port(base)))
        for service in SERVICES
        if service.prefix
    )
    web = next(service for service in SERVICES if service.prefix is None)
    return RouteTable(routes, Upstream("127.0.0.1", web.port(base)))


def gateway_prefix(settings: LocalSettings) -> Path:
    """The folder NGINX runs from (its configuration, temp files and logs)."""
    return settings.run_dir / "nginx"


def gateway_access_log(settings: LocalSettings) -> Path:
    """NGINX's access log: a file, not honcho, which would relay a line for every request.

    honcho passes each line through a queue to its printer: ~0.1 ms of CPU a line, a fifth of
    a millisecond per order (bench/PROFILE.md).
    """
    return settings.run_dir / "logs" / "gateway-access.log"


def gateway_process(settings: LocalSettings) -> tuple[ProcessSpec, str]:
    """The gateway's Procfile entry and a description of which gateway it is."""
    nginx = find_nginx() if settings.gateway != "python" else None
    if settings.gateway == "nginx" and nginx is None:
        raise LocalStackError("TICKETING_GATEWAY=nginx but nginx is not installed")
    routes = route_table(settings)
    if nginx is not None:
        access_log = gateway_access_log(settings)
        access_log.parent.mkdir(parents=True, exist_ok=True)  # NGINX makes no folders
        config = write_config(
            gateway_prefix(settings), routes, settings.gateway_port, access_log=access_log
        )
        description = f"NGINX ({nginx}; access log {access_log})"
        return ProcessSpec("gateway", nginx_command(nginx, config)), description
    argv = gunicorn_argv(
        settings.python, "deploy.gateway.app:create_app()", settings.gateway_port, GATEWAY_THREADS
    )
    reason = "chosen" if settings.gateway == "python" else "nginx not found"
    return ProcessSpec("gateway", argv, routes.to_environ()), f"Python gateway ({reason})"
