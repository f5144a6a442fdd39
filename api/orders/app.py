"""App factory of the orders service."""

from __future__ import annotations

import redis
from flask import Flask

from api.orders.config import OrdersSettings
from api.orders.fair_share import ReservationLimits
from api.orders.gate import InLine, ReservationGate, in_line_problem
from api.orders.ops_views import install_ops
from api.orders.services import OrderService
from api.orders.views import blp
from api.orders.waiting_room import WaitingRoom
from common.auth.tokens import install_jwt
from common.clock import Clock, SystemClock
from common.db import Database
from common.http.app import create_service_app
from common.http.health import database_check, nats_check
from common.ratelimit import RateLimiter

# Redis answers in a millisecond; a stalled one must not hold a request past its bound.
REDIS_TIMEOUT_SECONDS = 0.5


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
        # Not Redis: without it reservations still work (the line admits everyone; the
        # rate limits fall back to in-process windows), so it never takes the service out.
        checks={"database": database_check(db.engine), "nats": nats_check(base.nats_url)},
    )
    install_jwt(app, base.jwt)
    app.extensions["order_service"] = OrderService(
        db=db,
        clock=clock or SystemClock(),
        lifetime_seconds=settings.order_expiration_seconds,
        max_live_per_buyer=settings.fair_share.max_live_per_buyer,
    )
    client = redis.Redis.from_url(
        base.redis_url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )
    registry = app.extensions["metrics"].registry
    limiter = RateLimiter(client, name="reservations", registry=registry)
    room = WaitingRoom(client, settings.waiting_room, registry)
    app.extensions["reservation_gate"] = ReservationGate(
        ReservationLimits(limiter, settings.fair_share), room
    )
    app.extensions["waiting_room"] = room
    app.extensions["db"] = db
    app.register_error_handler(InLine, in_line_problem)
    api.register_blueprint(blp)
    install_ops(app, api, base, db)
    return app
