"""Expiry through the real pieces: relay, scheduler, Dramatiq delayed message, consumer, sweep."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import dramatiq
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker

from api.orders.models import OUTBOX
from common.clock import SystemClock
from common.db import Database
from common.events.streams import EventSettings
from tests.e2e.expiration.conftest import LIFETIME_SECONDS, Runner
from tests.integration.orders.saga_events import paid
from tests.integration.workers.support import stream_messages, wait_until
from workers.consumers import handle_message
from workers.expiration.actors import QUEUE
from workers.orders.handlers import make_handlers
from workers.orders.sweep import SweepSettings, run_sweep

pytestmark = pytest.mark.slow

Order = Callable[[], dict[str, Any]]
Worker = Callable[[], AbstractContextManager[dramatiq.Worker]]


def expirations(events: EventSettings) -> list[tuple[str, bytes]]:
    """(Nats-Msg-Id, payload) of every expiration.completed on the test stream."""
    return [(msg_id, data) for msg_id, data in stream_messages(events) if b"expiration." in data]


def steps(order: dict[str, Any]) -> list[tuple[str, str]]:
    return [(entry["step"], entry["outcome"]) for entry in order["timeline"]]


def delayed_messages(broker: RedisBroker) -> int:
    """Expiries waiting in Redis (the delay queue), not yet taken by a worker."""
    client = redis.Redis(connection_pool=broker.client.connection_pool)
    return int(client.hlen(f"{broker.namespace}:{QUEUE}.DQ.msgs"))


def test_an_unpaid_order_is_cancelled_by_its_expiry_message_when_its_lifetime_ends(
    place_order: Callable[[], Order],
    orders_relay: Runner,
    scheduler: Runner,
    orders_consumer: Runner,
    dramatiq_worker: Worker,
    events: EventSettings,
) -> None:
    with orders_relay(), scheduler(), orders_consumer(), dramatiq_worker():
        read = place_order()
        expires_at = read()["expiresAt"]
        time.sleep(LIFETIME_SECONDS - 0.5)
        assert read()["status"] == "created"  # not a moment early
        wait_until(lambda: read()["status"] == "cancelled", timeout=10)
    order = read()
    assert order["reason"] == "expired"
    assert order["expiresAt"] == expires_at
    assert order["updatedAt"] >= expires_at
    assert steps(order)[-2:] == [("expire", "ok"), ("unlock", "compensated")]
    assert order["timeline"][-2]["detail"] == "Not paid in time: the order expired."
    [(msg_id, _)] = expirations(events)
    assert msg_id == f"expiration-{order['id']}"


def test_an_expiry_lost_with_redis_is_still_honoured_by_the_sweep(
    place_order: Callable[[], Order],
    orders_relay: Runner,
    scheduler: Runner,
    orders_consumer: Runner,
    dramatiq_worker: Worker,
    dramatiq_broker: RedisBroker,
    db: Database,
    events: EventSettings,
) -> None:
    stop = threading.Event()
    sweep = threading.Thread(
        target=run_sweep, args=(db, SystemClock(), SweepSettings(0.2, 100), stop)
    )
    with orders_relay(), scheduler(), orders_consumer():
        read = place_order()
        wait_until(lambda: delayed_messages(dramatiq_broker) == 1)
        # The worker that held the delayed message died, and Redis (nothing on disk) lost it.
        dramatiq_broker.client.flushdb()
        assert read()["status"] == "created"
        with dramatiq_worker():
            sweep.start()
            try:
                wait_until(lambda: read()["status"] == "cancelled", timeout=10)
            finally:
                stop.set()
                sweep.join(5)
    order = read()
    assert order["reason"] == "expired"
    assert order["reasonDetail"] == "Not paid in time: the order expired (sweep)."
    assert steps(order)[-2:] == [("expire", "ok"), ("unlock", "compensated")]
    assert expirations(events) == []


def test_a_paid_order_outlives_its_expiry_message_and_the_sweep(
    place_order: Callable[[], Order],
    orders_relay: Runner,
    scheduler: Runner,
    orders_consumer: Runner,
    dramatiq_worker: Worker,
    db: Database,
    events: EventSettings,
) -> None:
    stop = threading.Event()
    sweep = threading.Thread(
        target=run_sweep, args=(db, SystemClock(), SweepSettings(0.2, 100), stop)
    )
    with orders_relay(), scheduler(), orders_consumer(), dramatiq_worker():
        sweep.start()
        try:
            read = place_order()
            handle_message(db, OUTBOX, make_handlers(SystemClock()), paid(read()["id"]))
            wait_until(lambda: len(expirations(events)) == 1, timeout=10)
            time.sleep(1)  # the consumer has had the expiry; the sweep has run a few times
        finally:
            stop.set()
            sweep.join(5)
    order = read()
    assert (order["status"], order["reason"], order["version"]) == ("complete", None, 2)
    assert [step for step, _ in steps(order)] == ["reserve", "await_payment", "complete"]
