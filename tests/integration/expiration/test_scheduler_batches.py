"""The scheduler on a backlog: every orders.created becomes one delayed expiry, in batches."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import nats
from dramatiq.brokers.redis import RedisBroker
from nats.js.api import ConsumerInfo

from common.clock import isoformat_z
from common.events.catalogue import ORDER_CREATED
from common.events.envelope import new_event
from common.events.streams import EventSettings, durable_name, ensure_stream
from tests.conftest import NATS_URL
from tests.e2e.expiration.conftest import Runner
from tests.e2e.expiration.test_expiry_end_to_end import delayed_messages
from tests.integration.workers.support import publish_raw, run_async, wait_until
from tests.unit.events.examples import order
from workers.expiration.settings import SERVICE


def _durable(events: EventSettings) -> ConsumerInfo:
    async def info() -> ConsumerInfo:
        nc = await nats.connect(NATS_URL)
        try:
            durable = durable_name(SERVICE, ORDER_CREATED)
            found: ConsumerInfo = await nc.jetstream().consumer_info(events.stream, durable)
            return found
        finally:
            await nc.close()

    result: ConsumerInfo = run_async(info)
    return result


def test_a_backlog_of_orders_gets_one_expiry_each_and_a_malformed_event_is_dropped(
    events: EventSettings, dramatiq_broker: RedisBroker, scheduler: Runner
) -> None:
    async def stream() -> None:
        nc = await nats.connect(NATS_URL)
        try:
            await ensure_stream(nc.jetstream(), events)
        finally:
            await nc.close()

    run_async(stream)
    subject = events.subject(ORDER_CREATED)
    later = isoformat_z(datetime.now(UTC) + timedelta(hours=1))  # each expiry waits in Redis
    for n in range(30):  # published before the scheduler runs: it meets them as a backlog
        event = new_event(ORDER_CREATED, order(id=str(uuid.uuid4()), expiresAt=later))
        publish_raw(events, subject, event.to_json(), str(event.id))
        if n == 10:
            publish_raw(events, subject, b'{"not": "an event"}', "malformed")
    with scheduler():
        wait_until(lambda: delayed_messages(dramatiq_broker) == 30, timeout=20)
        wait_until(lambda: _durable(events).num_ack_pending == 0, timeout=20)
    info = _durable(events)
    assert info.num_pending == 0 and info.num_redelivered == 0
    assert delayed_messages(dramatiq_broker) == 30
