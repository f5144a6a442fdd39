"""App factory of the payments service."""

from __future__ import annotations

from flask import Flask

from api.payments.components import build_payments
from api.payments.config import PaymentsSettings
from api.payments.followups import BrokerDispatcher, Dispatcher
from api.payments.ops_views import install_ops
from api.payments.views import blp
from common.auth.tokens import install_jwt
from common.broker import broker_from_env
from common.clock import Clock
from common.http.app import create_service_app
from common.http.health import database_check, nats_check, redis_check


def create_app(
    settings: PaymentsSettings | None = None,
    clock: Clock | None = None,
    dispatcher: Dispatcher | None = None,
) -> Flask:
    """Build the payments service from the environment (or the given settings)."""
    settings = settings or PaymentsSettings.from_env()
    # The factory is the composition root: by default, follow-ups go to the Dramatiq actors.
    dispatcher = dispatcher or BrokerDispatcher(broker_from_env())
    base = settings.service
    payments = build_payments(
        settings, dispatcher, clock, pool_timeout=base.admission.max_wait_seconds
    )
    app, api = create_service_app(
        base,
        title="Ticketing payments API",
        prefix="/api/payments",
        description="Pay for orders through Stripe. A retried payment never charges twice; "
        "a charge for an order cancelled meanwhile is refunded.",
        checks={
            "database": database_check(payments.db.engine),
            "nats": nats_check(base.nats_url),
            "redis": redis_check(base.redis_url),
        },
    )
    install_jwt(app, base.jwt)
    app.extensions["payments"] = payments
    app.extensions["db"] = payments.db
    api.register_blueprint(blp)
    install_ops(app, api, payments)
    return app
