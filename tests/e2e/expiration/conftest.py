"""The expiration path for real: a private stream, a private Dramatiq namespace, live processes.

Every moving part runs in this test process on the real services: the orders relay and
consumer and the expiration scheduler on event loops in threads, and a Dramatiq Worker.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.redis import RedisBroker
from flask.testing import FlaskClient

from api.orders.app import create_app
from api.orders.config import OrdersSettings
from api.orders.models import OUTBOX
from common.broker import build_broker
from common.clock import SystemClock
from common.db import Database
from common.events.streams import EventSettings
from tests.conftest import NATS_URL
from tests.integration.orders.conftest import auth, db, orders_env, seed_ticket
from tests.integration.workers.support import Background, background, delete_stream, run_async
from workers.expiration.actors import expire_order, install
from workers.expiration.publisher import JetStreamPublisher, use_publisher
from workers.expiration.scheduler import run_scheduler
from workers.expiration.settings import ExpirationSettings
from workers.jetstream import ConsumerSpec, consume
from workers.orders.handlers import make_handlers
from workers.relay import RelaySettings, run_relay

__all__ = ["auth", "db", "orders_env", "seed_ticket"]  # the orders fixtures, shared here

LIFETIME_SECONDS = 2
Runner = Callable[[], AbstractContextManager[Background]]


@pytest.fixture
def events() -> Iterator[EventSettings]:
    """A stream and subject prefix nobody else uses, deleted afterwards."""
    tag = uuid.uuid4().hex
    settings = EventSettings(
        stream=f"EXPIRATION_TEST_{tag}",
        subject_prefix=f"expiration_test_{tag}",
        max_deliver=20,
        retry_delays=(0.1, 0.2),
        ack_wait_seconds=5,
    )
    yield settings
    run_async(lambda: delete_stream(settings.stream))


@pytest.fixture
def expiration_settings(events: EventSettings) -> ExpirationSettings:
    return ExpirationSettings(nats_url=NATS_URL, events=events, poll_milliseconds=50)


@pytest.fixture
def dramatiq_broker(redis_url: str) -> Iterator[RedisBroker]:
    """expire_order bound to a broker on this worker's Redis db under a namespace of its own."""
    previous = expire_order.broker
    broker = build_broker(redis_url, namespace=f"test-{uuid.uuid4().hex}")
    install(broker)
    dramatiq.set_broker(broker)
    yield broker
    install(previous)
    dramatiq.set_broker(previous)
    broker.close()


@pytest.fixture
def dramatiq_worker(
    dramatiq_broker: RedisBroker, expiration_settings: ExpirationSettings
) -> Callable[[], AbstractContextManager[dramatiq.Worker]]:
    """Start a Dramatiq Worker running expire_order; stopped (gracefully) on leaving."""

    @contextmanager
    def run() -> Iterator[dramatiq.Worker]:
        use_publisher(JetStreamPublisher(expiration_settings))
        worker = dramatiq.Worker(dramatiq_broker, worker_threads=2)
        worker.start()
        try:
            yield worker
        finally:
            worker.stop(timeout=10_000)  # the lifecycle middleware closes the publisher

    return run


@pytest.fixture
def live_env(orders_env: dict[str, str], events: EventSettings) -> dict[str, str]:
    return {
        **orders_env,
        "ORDER_EXPIRATION_SECONDS": str(LIFETIME_SECONDS),
        "EVENTS_STREAM": events.stream,
        "EVENTS_SUBJECT_PREFIX": events.subject_prefix,
    }


@pytest.fixture
def live_client(live_env: dict[str, str]) -> Iterator[FlaskClient]:
    """The orders API on the real clock, with a short order lifetime."""
    app = create_app(OrdersSettings.from_env(live_env))
    yield app.test_client()
    app.extensions["db"].dispose()


@pytest.fixture
def orders_relay(live_env: dict[str, str], events: EventSettings) -> Runner:
    settings = RelaySettings(
        service="orders",
        database_url=live_env["DATABASE_URL"],
        nats_url=NATS_URL,
        events=events,
        poll_seconds=0.2,
    )
    return lambda: background(lambda stop, ready: run_relay(settings, stop, ready))


@pytest.fixture
def orders_consumer(db: Database, events: EventSettings) -> Runner:
    spec = ConsumerSpec("orders", db, OUTBOX, make_handlers(SystemClock()), events)
    return lambda: background(lambda stop, ready: consume(spec, NATS_URL, stop, ready))


@pytest.fixture
def scheduler(expiration_settings: ExpirationSettings) -> Runner:
    return lambda: background(lambda stop, ready: run_scheduler(expiration_settings, stop, ready))


@pytest.fixture
def place_order(
    live_client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Callable[[uuid.UUID], dict[str, str]],
) -> Callable[[], Callable[[], dict[str, Any]]]:
    """Order a ticket over the API; returns a function that reads the order back."""

    def place() -> Callable[[], dict[str, Any]]:
        headers = auth(uuid.uuid4())
        response = live_client.post(
            "/api/orders", json={"ticketId": str(seed_ticket())}, headers=headers
        )
        assert response.status_code == 201
        order_id = response.json["id"]

        def read() -> dict[str, Any]:
            body: dict[str, Any] = live_client.get(f"/api/orders/{order_id}", headers=headers).json
            return body

        return read

    return place
