"""`make up`: infrastructure, secrets and migrations, then every process under honcho.

Usage: python -m devstack.up   (Ctrl-C or SIGTERM stops everything it started)
"""

from __future__ import annotations

import io
import os
import signal
import sys
import time
from types import FrameType

from deploy.nginx.render import remove_page_cache
from devstack.databases import migrate
from devstack.devkeys import ensure_dev_secrets
from devstack.gateway_process import gateway_prefix
from devstack.infrastructure import Infrastructure
from devstack.probes import port_answers
from devstack.procfile import write_procfile
from devstack.progress import say, shown, step
from devstack.readiness import Probe
from devstack.settings import LocalSettings, LocalStackError
from devstack.stack import Stack, plan_stack
from devstack.supervisor import ReadinessWatcher, supervise


class StopRequested(KeyboardInterrupt):
    """The operator sent SIGTERM (Ctrl-C raises KeyboardInterrupt itself)."""


def _stop_requested(signum: int, frame: FrameType | None) -> None:
    raise StopRequested


def _probes(settings: LocalSettings, stack: Stack) -> list[Probe]:
    base = settings.service_port_base
    return [
        *(
            Probe(service.name, f"http://127.0.0.1:{service.port(base)}/healthz")
            for service in stack.services
        ),
        # The gateway answers /api itself (404), so probing it never touches a service.
        Probe("gateway", f"{settings.gateway_url}/api", any_status=True),
    ]


def _ensure_ports_free(settings: LocalSettings, stack: Stack) -> None:
    ports = [service.port(settings.service_port_base) for service in stack.services]
    taken = [port for port in [*ports, settings.gateway_port] if port_answers("127.0.0.1", port)]
    if taken:
        raise LocalStackError(
            f"ports {taken} are in use: is another `make up` running (or left behind by kill -9)? "
            "Stop it, or move ours with PORT and TICKETING_SERVICE_PORT_BASE"
        )


def run(settings: LocalSettings, infrastructure: Infrastructure, started: float) -> int:
    """Bring the stack up and supervise it until it is stopped."""
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    urls = infrastructure.provide()
    with step(f"preparing development keys and secrets ({shown(settings.run_dir)})"):
        secrets = ensure_dev_secrets(settings.run_dir)
    stack = plan_stack(settings, urls, secrets)
    _ensure_ports_free(settings, stack)
    if stack.missing:
        say(f"==> not written yet, skipped: {', '.join(s.name for s in stack.missing)}")
    migrated = stack.migrated(settings)
    with step(f"migrating databases ({', '.join(s.name for s in migrated) or 'none'})"):
        migrate(settings, migrated, stack.migration_envs)
    procfile, env_file = write_procfile(settings.run_dir, stack.processes, stack.shared_env)
    say(f"==> starting {len(stack.processes)} processes under honcho ({shown(procfile)})")
    say(f"==> gateway: {stack.gateway} on {settings.gateway_url}")
    watcher = ReadinessWatcher(
        _probes(settings, stack), settings.ready_timeout_seconds, settings.gateway_url, started
    )
    return supervise(procfile, env_file, settings.project_root, watcher)


def main() -> int:
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    started = time.monotonic()
    try:
        settings = LocalSettings.from_environ(os.environ)
    except LocalStackError as exc:
        say(f"error: {exc}")
        return 2
    signal.signal(signal.SIGTERM, _stop_requested)
    infrastructure = Infrastructure(settings)
    try:
        return run(settings, infrastructure, started)
    except KeyboardInterrupt:
        return 0
    except LocalStackError as exc:
        say(f"error: {exc}")
        return 1
    finally:
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop_signal, signal.SIG_IGN)
        infrastructure.stop()
        remove_page_cache(gateway_prefix(settings))


if __name__ == "__main__":
    raise SystemExit(main())
