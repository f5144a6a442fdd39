"""The environment variables of each process: what they all share and what one alone gets."""

from __future__ import annotations

from deploy.local.databases import database_url
from deploy.local.devkeys import DevSecrets
from deploy.local.infrastructure import InfrastructureUrls
from deploy.local.services import SERVICES, Service, Worker
from deploy.local.settings import LocalSettings


def shared_environment(
    settings: LocalSettings, urls: InfrastructureUrls, secrets: DevSecrets
) -> dict[str, str]:
    """Variables every service and worker reads (the honcho env file)."""
    return {
        "APP_ENV": "development",
        "REDIS_URL": urls.redis,
        "NATS_URL": urls.nats,
        "JWT_ALGORITHM": "RS256",
        "JWT_PUBLIC_KEY_FILE": str(secrets.public_key_file),
        "JWT_COOKIE_SECURE": "false",
        "SECRET_KEY": secrets.secret_key,
        "GATEWAY_URL": settings.gateway_url,
        "ORDER_EXPIRATION_SECONDS": settings.order_expiration_seconds,
        "LOG_LEVEL": settings.log_level,
        "PYTHONUNBUFFERED": "1",
    }


def service_environment(
    service: Service, settings: LocalSettings, urls: InfrastructureUrls, secrets: DevSecrets
) -> dict[str, str]:
    """Variables of this service alone: its own database and, for auth, the signing key."""
    own = {}
    if service.has_database:
        own["DATABASE_URL"] = database_url(urls.database, settings.database_prefix + service.name)
    if service.signs_tokens:
        own["JWT_PRIVATE_KEY_FILE"] = str(secrets.private_key_file)
    return own


def worker_environment(
    worker: Worker, settings: LocalSettings, urls: InfrastructureUrls, secrets: DevSecrets
) -> dict[str, str]:
    """A worker runs with the environment of the service it works for."""
    for service in SERVICES:
        if service.name == worker.service:
            return service_environment(service, settings, urls, secrets)
    return {}
