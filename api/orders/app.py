"""App factory of the orders service."""

from __future__ import annotations

from flask import Flask

from api.orders.config import OrdersSettings
from api.orders.services import OrderService
from api.orders.views import blp
from common.auth.tokens import install_jwt
from common.clock import Clock, SystemClock
from common.db import Database
from common.http.app import create_service_app
from common.http.health import database_check, nats_check


def create_app(settings: OrdersSettings | None = None, clock: Clock | None = None) -> Flask:
    """Build the orders service from the environment (or the given settings)."""
    settings = settings or OrdersSettings.from_env()
    base = settings.service
    db = Database.from_url(base.database_url, pool_timeout=base.admission.max_wait_seconds)
    app, api = create_service_app(
        base,
        title="Ticketing orders API",
        prefix="/api/orders",
        description="Orders hold a ticket for a buyer until it is paid, cancelled or expires.",
        checks={"database": database_check(db.engine), "nats": nats_check(base.nats_url)},
    )
    install_jwt(app, base.jwt)
    app.extensions["order_service"] = OrderService(
        db=db,
        clock=clock or SystemClock(),
        lifetime_seconds=settings.order_expiration_seconds,
    )
    app.extensions["db"] = db
    api.register_blueprint(blp)
    return app
