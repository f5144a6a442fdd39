"""The environment variables of each process: what they all share and what one alone gets."""

from __future__ import annotations

from devstack.databases import database_url
from devstack.devkeys import DevSecrets
from devstack.infrastructure import InfrastructureUrls
from devstack.services import SERVICES, STRIPE_STANDIN_PORT_OFFSET, Service, Worker
from devstack.settings import LocalSettings

STANDIN_API_KEY = "sk_test_standin"
STANDIN_WEBHOOK_SECRET = "whsec_standin_development"  # noqa: S105 (the stand-in's, local only)


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
        "STRIPE_STANDIN": "true" if settings.stripe_standin else "false",
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
    if service.name == "payments" and settings.stripe_standin:
        own.update(
            STRIPE_API_KEY=STANDIN_API_KEY,
            STRIPE_API_BASE=f"http://127.0.0.1:{standin_port(settings)}",
            STRIPE_WEBHOOK_SECRET=STANDIN_WEBHOOK_SECRET,
        )
    return own


def standin_port(settings: LocalSettings) -> int:
    return settings.service_port_base + STRIPE_STANDIN_PORT_OFFSET


def standin_environment(settings: LocalSettings) -> dict[str, str]:
    """The Stripe stand-in signs webhooks to the payments service with the dev secret."""
    payments = next(service for service in SERVICES if service.name == "payments")
    webhook = f"http://127.0.0.1:{payments.port(settings.service_port_base)}/api/payments/webhook"
    return {
        "STRIPE_STANDIN_PORT": str(standin_port(settings)),
        "STRIPE_WEBHOOK_URL": webhook,
        "STRIPE_WEBHOOK_SECRET": STANDIN_WEBHOOK_SECRET,
    }


def worker_environment(
    worker: Worker, settings: LocalSettings, urls: InfrastructureUrls, secrets: DevSecrets
) -> dict[str, str]:
    """A worker runs with the environment of the service it works for."""
    if worker.stripe_standin:
        return standin_environment(settings)
    for service in SERVICES:
        if service.name == worker.service:
            return service_environment(service, settings, urls, secrets)
    return {}
