"""What one `up` runs: the services written so far, the workers, the gateway, their settings."""

from __future__ import annotations

from dataclasses import dataclass

from devstack.devkeys import DevSecrets
from devstack.environment import (
    service_environment,
    shared_environment,
    worker_environment,
)
from devstack.gateway_process import gateway_process
from devstack.infrastructure import InfrastructureUrls
from devstack.procfile import ProcessSpec, gunicorn_argv
from devstack.services import SERVICES, WORKERS, Service
from devstack.settings import LocalSettings


@dataclass(frozen=True)
class Stack:
    """The processes to supervise and what the services need before they start."""

    shared_env: dict[str, str]
    processes: list[ProcessSpec]
    services: list[Service]
    missing: list[Service]
    gateway: str
    migration_envs: dict[str, dict[str, str]]

    def migrated(self, settings: LocalSettings) -> list[Service]:
        return [
            service for service in self.services if service.has_migrations(settings.project_root)
        ]


def plan_stack(settings: LocalSettings, urls: InfrastructureUrls, secrets: DevSecrets) -> Stack:
    """Services whose app module exists, workers likewise, and the gateway last."""
    shared = shared_environment(settings, urls, secrets)
    services = [service for service in SERVICES if service.present()]
    processes = []
    migration_envs = {}
    for service in services:
        own = service_environment(service, settings, urls, secrets)
        argv = gunicorn_argv(
            settings.python,
            service.app,
            service.port(settings.service_port_base),
            service.threads,
            workers=service.workers,
            worker_class=service.worker_class,
        )
        processes.append(ProcessSpec(service.name, argv, own))
        migration_envs[service.name] = {**shared, **own}
    for worker in WORKERS:
        if worker.present() and (settings.stripe_standin or not worker.stripe_standin):
            own = worker_environment(worker, settings, urls, secrets)
            processes.append(ProcessSpec(worker.name, [settings.python, *worker.args], own))
    gateway, description = gateway_process(settings)
    return Stack(
        shared_env=shared,
        processes=[*processes, gateway],
        services=services,
        missing=[service for service in SERVICES if service not in services],
        gateway=description,
        migration_envs=migration_envs,
    )
