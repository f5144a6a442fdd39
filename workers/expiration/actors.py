"""The expiration worker (`dramatiq workers.expiration.actors`): expire_order, a delayed message."""

from __future__ import annotations

import dataclasses
import uuid

import dramatiq
from dramatiq.middleware import Middleware

from common.events.catalogue import EXPIRATION_COMPLETED, EventContractError
from common.events.envelope import Envelope, new_event
from common.http.health import nats_check, redis_check
from workers.broker import (  # binds the actors below to the configured broker
    broker,
    broker_namespace,
    broker_redis_url,
)
from workers.dramatiq_health import WorkerHealth
from workers.expiration.publisher import close_process_publisher, process_publisher
from workers.expiration.settings import ExpirationSettings

QUEUE = "expiration"
# Event ids derived from the order id: every retry or duplicate carries the same one, so
# consumers drop repeats by id even after JetStream's duplicate window has passed.
EVENT_ID_NAMESPACE = uuid.UUID("5d7f3c1e-7f45-4c1b-9a53-2f0e8a6b9c10")


def expiration_event(order_id: str, correlation_id: str | None) -> tuple[Envelope, str]:
    """expiration.completed for the order, and its Nats-Msg-Id; both the same on every call."""
    event = new_event(EXPIRATION_COMPLETED, {"orderId": order_id}, correlation_id=correlation_id)
    event_id = uuid.uuid5(EVENT_ID_NAMESPACE, f"{EXPIRATION_COMPLETED}:{event.data['orderId']}")
    return dataclasses.replace(event, id=event_id), f"expiration-{event.data['orderId']}"


@dramatiq.actor(
    queue_name=QUEUE,
    max_retries=100,
    min_backoff=500,
    max_backoff=30_000,
    time_limit=60_000,
    throws=(EventContractError,),
)
def expire_order(order_id: str, correlation_id: str | None = None) -> None:
    """Publish expiration.completed; idempotent: a deterministic Nats-Msg-Id and event id."""
    event, msg_id = expiration_event(order_id, correlation_id)
    process_publisher().publish(event, msg_id)


class ExpirationWorkerLifecycle(Middleware):
    """Polls for due expiries often, holds every pending one, and closes NATS on shutdown."""

    def __init__(self, settings: ExpirationSettings) -> None:
        self.settings = settings

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # The worker's idle poll (1 s by default) is how late a due delayed message can be.
        worker.worker_timeout = self.settings.poll_milliseconds
        # Delayed messages are taken from Redis in arrival order, not due order: a worker
        # holding fewer than are pending would leave a soon-due expiry behind later ones.
        worker.delay_prefetch = self.settings.delay_prefetch

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        close_process_publisher()


def install(target: dramatiq.Broker) -> None:
    """Run expire_order on `target` (the process's broker, or a test's) with the lifecycle."""
    if not any(isinstance(m, ExpirationWorkerLifecycle) for m in target.middleware):
        settings = ExpirationSettings.from_env()
        target.add_middleware(ExpirationWorkerLifecycle(settings))
        target.add_middleware(
            WorkerHealth(
                "expiration-actors",
                {"redis": redis_check(broker_redis_url()), "nats": nats_check(settings.nats_url)},
                broker_redis_url(),
                broker_namespace(),
                [QUEUE],
            )
        )
    if expire_order.broker is not target:
        expire_order.broker = target
        target.declare_actor(expire_order)


install(broker)
