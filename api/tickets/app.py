"""App factory of the tickets service."""

from __future__ import annotations

from flask import Flask

from api.tickets.config import TicketsSettings
from api.tickets.ops_views import install_ops
from api.tickets.services import TicketService
from api.tickets.views import blp
from common.auth.tokens import install_jwt
from common.clock import Clock, SystemClock
from common.db import Database
from common.http.app import create_service_app
from common.http.health import database_check, nats_check


def create_app(settings: TicketsSettings | None = None, clock: Clock | None = None) -> Flask:
    """Build the tickets service from the environment (or the given settings)."""
    settings = settings or TicketsSettings.from_env()
    base = settings.service
    db = Database.from_url(base.database_url, pool_timeout=base.admission.max_wait_seconds)
    app, api = create_service_app(
        base,
        title="Ticketing tickets API",
        prefix="/api/tickets",
        description="Tickets for sale. Orders lock them while a purchase is under way.",
        checks={"database": database_check(db.engine), "nats": nats_check(base.nats_url)},
    )
    install_jwt(app, base.jwt)
    app.extensions["db"] = db
    app.extensions["ticket_service"] = TicketService(db, clock or SystemClock())
    api.register_blueprint(blp)
    install_ops(app, api, base, db)
    return app
