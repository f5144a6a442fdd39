"""End to end over JetStream: the real relay and consumer processes of the tickets service."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from common.events.catalogue import ORDER_CREATED
from tests.integration.tickets.conftest import order_event
from tests.integration.workers.support import wait_until
from tests.worker_processes import (
    Start,
    private_stream,
    publish,
    published,
    worker_processes,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def events_env(tickets_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """A stream and subject prefix of this test's own, deleted afterwards."""
    with private_stream(tickets_env, "TICKETS", EVENTS_RETRY_DELAYS="0.2") as env:
        yield env


@pytest.fixture
def start(events_env: dict[str, str]) -> Iterator[Start]:
    """Start a worker module as its own process; stopped with SIGTERM at the end."""
    with worker_processes(events_env, stop_seconds=15) as run:
        yield run


def test_an_order_created_on_the_stream_locks_the_ticket_and_its_update_is_published(
    client: FlaskClient,
    create_ticket: Callable[..., dict[str, Any]],
    events_env: dict[str, str],
    start: Start,
) -> None:
    ticket = create_ticket("Concert", "20.00")
    consumer = start("workers.tickets.consumer")
    relay = start("workers.relay", "tickets")
    order_id = uuid.uuid4()
    event = order_event(ORDER_CREATED, ticket["id"], order_id)
    # Twice, as if re-published past the duplicate window: applied once.
    publish(events_env, event, event, msg_ids=[str(uuid.uuid4()), str(uuid.uuid4())])

    def locked() -> bool:
        return client.get(f"/api/tickets/{ticket['id']}").json["status"] == "locked"

    wait_until(locked, timeout=20)
    shown = client.get(f"/api/tickets/{ticket['id']}").json
    assert (shown["orderId"], shown["version"]) == (str(order_id), 2)

    def both_published() -> bool:
        return len(published(events_env, "tickets.>")) >= 2

    wait_until(both_published, timeout=20)
    events = published(events_env, "tickets.>")
    assert [(e["type"], e["data"]["version"]) for e in events] == [
        ("tickets.created", 1),
        ("tickets.updated", 2),
    ]
    assert events[1]["data"]["orderId"] == str(order_id)
    for process in (consumer, relay):
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0, process.stderr.read() if process.stderr else ""
