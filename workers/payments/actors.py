"""The payment saga's asynchronous steps as Dramatiq actors: `dramatiq workers.payments.actors`."""

# The actors take payment ids, never objects, and work from the payment row: a message run
# twice, or again after a crash, finds the row already moved on and does nothing more.

from __future__ import annotations

import threading
import uuid

import dramatiq
from sqlalchemy.exc import InterfaceError, OperationalError

from api.payments.components import Payments, build_payments
from api.payments.config import PaymentsSettings
from api.payments.followups import ACTORS, QUEUE, BrokerDispatcher
from api.payments.gateway import GatewayUnavailable
from common.http.health import database_check, redis_check
from common.logging import configure_logging
from workers.broker import (  # binds the actors below to the project's broker
    broker,
    broker_namespace,
    broker_redis_url,
)
from workers.dramatiq_health import WorkerHealth

MAX_RETRIES = 12
MIN_BACKOFF_MS = 1_000
# Under PAYMENTS_STUCK_AFTER_SECONDS (60 s) with a Stripe call's timeout added: while its
# actor still retries, the reconciler does not take a payment for lost and re-send it.
MAX_BACKOFF_MS = 30_000
# What a later attempt may get over: Stripe's or the network's weather, the database restarting.
RETRYABLE = (GatewayUnavailable, OperationalError, InterfaceError)

_lock = threading.Lock()
_installed: Payments | None = None


def retry_when(retries: int, error: BaseException) -> bool:
    """Retry (with exponential backoff) what may pass, a bounded number of times; never a bug."""
    return retries < MAX_RETRIES and isinstance(error, RETRYABLE)


def install(payments: Payments | None) -> None:
    """Run the actors on these use cases (None: build them from the environment when needed)."""
    global _installed
    with _lock:
        _installed = payments


def runtime() -> Payments:
    """The use cases the actors run, built from the environment on first use."""
    global _installed
    with _lock:
        if _installed is None:
            settings = PaymentsSettings.from_env()
            configure_logging("payments-actors", settings.service.log_level)
            _installed = build_payments(settings, BrokerDispatcher(broker))
        return _installed


@dramatiq.actor(
    actor_name=ACTORS["charge"],
    queue_name=QUEUE,
    max_retries=MAX_RETRIES,
    min_backoff=MIN_BACKOFF_MS,
    max_backoff=MAX_BACKOFF_MS,
    retry_when=retry_when,
)
def charge_payment(payment_id: str) -> None:
    """Charge a pending payment; idempotent: only pending ones are charged, with the order's key."""
    runtime().charges.charge(uuid.UUID(payment_id))


@dramatiq.actor(
    actor_name=ACTORS["refund"],
    queue_name=QUEUE,
    max_retries=MAX_RETRIES,
    min_backoff=MIN_BACKOFF_MS,
    max_backoff=MAX_BACKOFF_MS,
    retry_when=retry_when,
)
def refund_payment(payment_id: str, reason: str) -> None:
    """Refund a succeeded payment; idempotent: only a succeeded one is refunded, under its key."""
    runtime().refunds.refund(uuid.UUID(payment_id), reason)


def _database_ready() -> None:
    database_check(runtime().db.engine)()


broker.add_middleware(
    WorkerHealth(
        "payments-actors",
        {"database": _database_ready, "redis": redis_check(broker_redis_url())},
        broker_redis_url(),
        broker_namespace(),
        [QUEUE],
    )
)
