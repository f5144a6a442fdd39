"""End to end over JetStream: the orders consumer and relay as real processes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.orders.app import create_app
from api.orders.config import OrdersSettings
from api.orders.models import Ticket
from common.db import Database
from common.events.catalogue import EXPIRATION_COMPLETED, TICKET_CREATED, TICKET_UPDATED
from common.events.envelope import Envelope, new_event
from tests.integration.workers.support import wait_until
from tests.worker_processes import (
    Start,
    private_stream,
    publish,
    published,
    worker_processes,
)

pytestmark = pytest.mark.slow

SELLER = uuid.uuid4()


@pytest.fixture
def events_env(orders_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """A stream and subject prefix of this test's own, deleted afterwards."""
    settings = {
        "EVENTS_RETRY_DELAYS": "0.2",
        "EVENTS_MAX_DELIVER": "50",
        "OUTBOX_POLL_MILLISECONDS": "200",
    }
    with private_stream(orders_env, "ORDERS", **settings) as env:
        yield env


@pytest.fixture
def live_client(events_env: dict[str, str]) -> Iterator[FlaskClient]:
    """The orders API on the real clock (the consumer process stamps with the real clock)."""
    app: Flask = create_app(OrdersSettings.from_env(events_env))
    yield app.test_client()
    app.extensions["db"].dispose()


@pytest.fixture
def start(events_env: dict[str, str]) -> Iterator[Start]:
    """Start a worker module as its own process; stopped with SIGTERM at the end."""
    with worker_processes(events_env, stop_seconds=15, must_exit_cleanly=True) as run:
        yield run


def ticket_event(ticket_id: uuid.UUID, version: int, price_cents: int) -> Envelope:
    return new_event(
        TICKET_CREATED if version == 1 else TICKET_UPDATED,
        {
            "id": str(ticket_id),
            "version": version,
            "title": f"Gig v{version}",
            "priceCents": price_cents,
            "currency": "usd",
            "sellerId": str(SELLER),
            "orderId": None,
            "sold": False,
        },
    )


def replica_version(db: Database, ticket_id: uuid.UUID) -> int | None:
    with db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        return None if ticket is None else ticket.version


def test_the_replica_converges_over_jetstream_despite_reordering_and_repeats(
    events_env: dict[str, str],
    start: Start,
    db: Database,
) -> None:
    ticket_id = uuid.uuid4()
    v1, v2, v3 = (ticket_event(ticket_id, v, 1000 * v) for v in (1, 2, 3))
    # v3 first, v1 twice (a re-publish that JetStream cannot deduplicate), v2 much later.
    publish(events_env, v3, v1, v1, msg_ids=[str(v3.id), str(v1.id), "a re-publish"])
    start("workers.orders.consumer")
    wait_until(lambda: replica_version(db, ticket_id) == 1, timeout=20)
    time.sleep(1)  # v3 keeps coming back, and keeps being refused
    assert replica_version(db, ticket_id) == 1
    publish(events_env, v2)
    wait_until(lambda: replica_version(db, ticket_id) == 3, timeout=20)
    with db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        assert (ticket.title, ticket.price_cents, ticket.seller_id) == ("Gig v3", 3000, SELLER)


def test_an_order_is_published_and_then_cancelled_by_an_expiry_from_the_stream(
    live_client: FlaskClient,
    events_env: dict[str, str],
    start: Start,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Callable[[uuid.UUID], dict[str, str]],
) -> None:
    headers = auth(uuid.uuid4())
    response = live_client.post(
        "/api/orders", json={"ticketId": str(seed_ticket())}, headers=headers
    )
    assert response.status_code == 201
    order = response.json
    start("workers.orders.consumer")
    start("workers.relay", "orders")
    wait_until(
        lambda: [e["data"]["id"] for e in published(events_env, "orders.created")] == [order["id"]],
        timeout=20,
    )
    publish(events_env, new_event(EXPIRATION_COMPLETED, {"orderId": order["id"]}))
    wait_until(
        lambda: (
            live_client.get(f"/api/orders/{order['id']}", headers=headers).json["status"]
            == "cancelled"
        ),
        timeout=20,
    )
    wait_until(lambda: bool(published(events_env, "orders.cancelled")), timeout=20)
    [cancelled] = published(events_env, "orders.cancelled")
    assert cancelled["data"]["id"] == order["id"]
    assert cancelled["data"]["version"] == 2
    assert cancelled["data"]["reason"] == "expired"
