"""App factory of the webhooks service."""

from __future__ import annotations

from flask import Flask

from api.webhooks.config import WebhooksSettings
from api.webhooks.services import WebhookService
from api.webhooks.views import blp
from common.auth.tokens import install_jwt
from common.clock import Clock, SystemClock
from common.db import Database
from common.http.app import create_service_app
from common.http.health import database_check, nats_check


def create_app(settings: WebhooksSettings | None = None, clock: Clock | None = None) -> Flask:
    """Build the webhooks service from the environment (or the given settings)."""
    settings = settings or WebhooksSettings.from_env()
    base = settings.service
    db = Database.from_url(base.database_url)
    app, api = create_service_app(
        base,
        title="Ticketing webhooks API",
        prefix="/api/webhooks",
        description="Register endpoints that receive order, ticket and payment events, signed "
        "with a per-endpoint secret (Ticketing-Signature: t=...,v1=HMAC-SHA256 of 't.body').",
        checks={"database": database_check(db.engine), "nats": nats_check(base.nats_url)},
    )
    install_jwt(app, base.jwt)
    app.extensions["db"] = db
    app.extensions["webhook_service"] = WebhookService(db, settings, clock or SystemClock())
    api.register_blueprint(blp)
    return app
