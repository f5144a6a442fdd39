"""The payments use cases wired to one database, Stripe gateway, clock and dispatcher."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from api.payments.arrival import OrderArrival
from api.payments.charging import Charges
from api.payments.compensation import Refunds
from api.payments.config import PaymentsSettings
from api.payments.followups import Dispatcher
from api.payments.gateway import StripeGateway
from api.payments.reconciliation import Reconciled, reconcile_payments
from api.payments.services import PaymentService
from api.payments.webhooks import WebhookReceiver
from common.clock import Clock, SystemClock
from common.db import Database


@dataclass(frozen=True)
class Payments:
    """Everything the HTTP service and the workers of payments run on."""

    settings: PaymentsSettings
    db: Database
    clock: Clock
    dispatcher: Dispatcher
    charges: Charges
    refunds: Refunds
    service: PaymentService
    webhooks: WebhookReceiver

    def reconcile(self) -> Reconciled:
        """One pass of the reconciler."""
        return reconcile_payments(
            self.db, self.dispatcher, self.clock, self.settings.stuck_after_seconds
        )

    def close(self) -> None:
        """Release the database connections."""
        self.db.dispose()


def build_payments(
    settings: PaymentsSettings,
    dispatcher: Dispatcher,
    clock: Clock | None = None,
    *,
    pool_timeout: float = 30.0,
) -> Payments:
    """Wire the use cases from settings (opens no connection until first used)."""
    clock = clock or SystemClock()
    db = Database.from_url(settings.service.database_url, pool_timeout=pool_timeout)
    gateway = StripeGateway(settings.stripe)
    charges = Charges(db, gateway, clock, dispatcher)
    return Payments(
        settings=settings,
        db=db,
        clock=clock,
        dispatcher=dispatcher,
        charges=charges,
        refunds=Refunds(db, gateway, clock),
        service=PaymentService(db, charges, clock, dispatcher, _arrival(settings)),
        webhooks=WebhookReceiver(db, settings.stripe.webhook_secret, clock, dispatcher),
    )


def _arrival(settings: PaymentsSettings) -> OrderArrival:
    """Unknown orders are timed in Redis (a short timeout: a request never waits long on it)."""
    client = redis.Redis.from_url(
        settings.service.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
    )
    return OrderArrival(client, settings.order_wait_seconds)
