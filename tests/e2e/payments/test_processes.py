"""End to end through the real processes: consumer over JetStream, Dramatiq actors, relay."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from api.payments.models import Order
from common.broker import DEFAULT_REDIS_URL
from common.db import Database
from common.events.catalogue import ORDER_CANCELLED, ORDER_CREATED
from devtools.stripe_standin.server import StandinServer
from tests.integration.payments.conftest import (
    Auth,
    eventually,
    only_payment,
    order_event,
    pay,
    refunds,
)
from tests.worker_processes import Start, private_stream, publish, published, worker_processes
from workers.broker import broker

pytestmark = pytest.mark.slow


@pytest.fixture
def process_env(payments_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """A stream of this test's own, and the Redis namespace the test's broker uses."""
    settings = {
        "EVENTS_RETRY_DELAYS": "0.2",
        "OUTBOX_POLL_MILLISECONDS": "200",
        "DRAMATIQ_NAMESPACE": broker.namespace,
        "DRAMATIQ_REDIS_URL": os.environ.get("DRAMATIQ_REDIS_URL")
        or os.environ.get("REDIS_URL", DEFAULT_REDIS_URL),
    }
    with private_stream(payments_env, "PAYMENTS", **settings) as env:
        yield env


@pytest.fixture
def start(process_env: dict[str, str]) -> Iterator[Start]:
    """Start `python -m ARGS` with the payments environment; SIGTERM at the end."""
    with worker_processes(process_env, stop_seconds=30) as run:
        yield run


def has_order(db: Database, order_id: uuid.UUID) -> bool:
    with db.transaction() as session:
        return session.get(Order, order_id) is not None


def test_an_order_cancelled_on_the_stream_after_payment_is_refunded_by_the_actor_process(
    client: FlaskClient,
    auth: Auth,
    db: Database,
    standin: StandinServer,
    process_env: dict[str, str],
    start: Start,
) -> None:
    consumer = start("workers.payments.consumer")
    actors = start("dramatiq", "workers.payments.actors", "--processes", "1", "--threads", "2")
    relay = start("workers.relay", "payments")
    buyer, order_id = uuid.uuid4(), uuid.uuid4()

    publish(process_env, order_event(ORDER_CREATED, order_id, buyer))
    eventually(lambda: has_order(db, order_id), timeout=60)
    paid = pay(client, auth(buyer), order_id)
    publish(
        process_env,
        order_event(
            ORDER_CANCELLED, order_id, buyer, version=2, status="cancelled", reason="expired"
        ),
    )

    assert paid.status_code == 201
    eventually(lambda: only_payment(db).status == "refunded", timeout=60)
    assert len(refunds(standin)) == 1
    eventually(lambda: len(published(process_env, "payments.>")) == 3, timeout=60)
    assert [e["type"] for e in published(process_env, "payments.>")] == [
        "payments.started",
        "payments.created",
        "payments.refunded",
    ]
    for process in (consumer, actors, relay):
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, process.stderr.read() if process.stderr else ""
