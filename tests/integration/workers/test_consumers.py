"""The consumer loop against real NATS: idempotent, order-safe, durable, graceful."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid

import nats
import pytest
from nats.js.api import ConsumerInfo

from common.events.catalogue import TICKET_CREATED, TICKET_UPDATED
from common.events.envelope import Envelope
from common.events.streams import durable_name
from tests.conftest import NATS_URL
from tests.integration.workers import backbone as schema
from tests.integration.workers.support import (
    Backbone,
    publish_raw,
    run_async,
    running_consumer,
    running_relay,
    wait_until,
)
from workers import jetstream


def _publish(backbone: Backbone, event: Envelope, msg_id: str | None = None) -> None:
    subject = backbone.events.subject(event.type)
    publish_raw(backbone.events, subject, event.to_json(), msg_id or str(event.id))


def _replica(backbone: Backbone) -> dict[uuid.UUID, tuple[int, str]]:
    return {row.id: (row.version, row.title) for row in backbone.rows(schema.replica)}


def _save(backbone: Backbone, ticket_id: uuid.UUID, version: int, title: str) -> Envelope:
    with backbone.db.transaction() as session:
        return schema.save_ticket(session, ticket_id, version, title)


def test_events_flow_from_the_outbox_to_the_replica(backbone: Backbone) -> None:
    ticket_id = uuid.uuid4()
    with running_consumer(backbone), running_relay(backbone):
        for version in range(1, 6):
            _save(backbone, ticket_id, version, f"v{version}")
        wait_until(lambda: _replica(backbone).get(ticket_id) == (5, "v5"))
    assert backbone.applications() == 5


def test_a_duplicate_delivery_is_acknowledged_and_ignored(backbone: Backbone) -> None:
    event = schema.ticket_event(uuid.uuid4(), 1, "Concert")
    with running_consumer(backbone):
        # Different Nats-Msg-Ids get past JetStream's dedup: the consumer must still see one.
        _publish(backbone, event, "first")
        _publish(backbone, event, "second")
        wait_until(lambda: _consumer_idle(backbone, TICKET_CREATED))
    assert backbone.applications() == 1


def test_an_event_ahead_of_its_predecessor_waits_then_converges(backbone: Backbone) -> None:
    ticket_id = uuid.uuid4()
    created = schema.ticket_event(ticket_id, 1, "v1")
    v2, v3 = (schema.ticket_event(ticket_id, v, f"v{v}") for v in (2, 3))
    with running_consumer(backbone, max_deliver=10):
        _publish(backbone, created)
        wait_until(lambda: _replica(backbone).get(ticket_id) == (1, "v1"))
        _publish(backbone, v3)
        wait_until(lambda: _delivered(backbone, TICKET_UPDATED) >= 2)
        assert _replica(backbone)[ticket_id] == (1, "v1")
        _publish(backbone, v2)
        wait_until(lambda: _replica(backbone).get(ticket_id) == (3, "v3"))
    assert backbone.applications() == 3
    assert backbone.count(schema.TABLES.dead_letters) == 0


def test_a_restarted_consumer_continues_from_its_durable(backbone: Backbone) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    with running_consumer(backbone):
        _publish(backbone, schema.ticket_event(first, 1, "before"))
        wait_until(lambda: first in _replica(backbone))
    _publish(backbone, schema.ticket_event(second, 1, "while down"))
    with running_consumer(backbone):
        wait_until(lambda: second in _replica(backbone))
        wait_until(lambda: _consumer_idle(backbone, TICKET_CREATED))
    info = _consumer_info(backbone, TICKET_CREATED)
    assert info.num_redelivered == 0
    assert info.delivered is not None and info.delivered.stream_seq == 2
    assert backbone.applications() == 2


def test_a_backlog_is_handled_in_batches_each_event_once(backbone: Backbone) -> None:
    tickets = [uuid.uuid4() for _ in range(40)]
    for ticket_id in tickets:  # published while no consumer runs: a backlog
        _publish(backbone, schema.ticket_event(ticket_id, 1, "backlog"))
    with running_consumer(backbone, fetch_batch=16):
        wait_until(lambda: len(_replica(backbone)) == 40, timeout=20)
        wait_until(lambda: _consumer_idle(backbone, TICKET_CREATED))
    assert backbone.applications() == 40
    # processed_at is now() of the claiming transaction: batches share one.
    transactions = {row.processed_at for row in backbone.rows(schema.TABLES.processed)}
    assert len(transactions) <= 40 // 2
    assert _consumer_info(backbone, TICKET_CREATED).num_redelivered == 0


def test_a_lone_event_is_handled_without_waiting_for_a_batch(
    backbone: Backbone, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fetch that waited for a full batch would hold this event for the whole fetch timeout.
    monkeypatch.setattr(jetstream, "FETCH_TIMEOUT_SECONDS", 6.0)
    ticket_id = uuid.uuid4()
    with running_consumer(backbone, fetch_batch=64):
        wait_until(lambda: _consumer_info(backbone, TICKET_CREATED).num_waiting > 0)
        _publish(backbone, schema.ticket_event(ticket_id, 1, "alone"))
        wait_until(lambda: ticket_id in _replica(backbone), timeout=3)


def test_a_poison_message_in_a_backlog_holds_back_no_other(backbone: Backbone) -> None:
    with backbone.db.transaction() as session:
        session.execute(schema.faults.insert().values(title="Poison"))
    tickets = [uuid.uuid4() for _ in range(20)]
    for n, ticket_id in enumerate(tickets):
        _publish(backbone, schema.ticket_event(ticket_id, 1, "Poison" if n == 7 else "fine"))
    with running_consumer(backbone, max_deliver=2, retry_delays=(0.1,)):
        wait_until(lambda: backbone.count(schema.TABLES.dead_letters) == 1, timeout=20)
        wait_until(lambda: len(_replica(backbone)) == 19)
    assert tickets[7] not in _replica(backbone)
    assert backbone.applications() == 19


def test_replicas_share_the_durable_and_apply_each_event_once(backbone: Backbone) -> None:
    tickets = [uuid.uuid4() for _ in range(30)]
    with running_consumer(backbone), running_consumer(backbone), running_relay(backbone):
        for ticket_id in tickets:
            _save(backbone, ticket_id, 1, "shared")
        wait_until(lambda: len(_replica(backbone)) == 30, timeout=20)
    assert backbone.applications() == 30


def test_sigterm_stops_the_consumer_process_cleanly(backbone: Backbone) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.workers.backbone"],
        env=backbone.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        ticket_id = uuid.uuid4()
        _publish(backbone, schema.ticket_event(ticket_id, 1, "before stop"))
        wait_until(lambda: ticket_id in _replica(backbone), timeout=20)
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0, process.stdout.read() if process.stdout else ""
    finally:
        process.kill()
    assert _consumer_info(backbone, TICKET_CREATED).num_ack_pending == 0


def _consumer_info(backbone: Backbone, event_type: str) -> ConsumerInfo:
    async def info() -> ConsumerInfo:
        nc = await nats.connect(NATS_URL)
        try:
            durable = durable_name(schema.SERVICE, event_type)
            found: ConsumerInfo = await nc.jetstream().consumer_info(
                backbone.events.stream, durable
            )
            return found
        finally:
            await nc.close()

    result: ConsumerInfo = run_async(info)
    return result


def _consumer_idle(backbone: Backbone, event_type: str) -> bool:
    info = _consumer_info(backbone, event_type)
    return info.num_pending == 0 and info.num_ack_pending == 0


def _delivered(backbone: Backbone, event_type: str) -> int:
    info = _consumer_info(backbone, event_type)
    return info.delivered.consumer_seq if info.delivered else 0
