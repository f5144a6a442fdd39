"""The tickets replica converges whatever the order and repetition of tickets.* events."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import update

from api.orders.models import OUTBOX, Ticket
from common.db import Database
from common.events.catalogue import TICKET_CREATED, TICKET_UPDATED
from common.events.envelope import Envelope, new_event
from workers.consumers import Outcome, handle_message
from workers.orders.handlers import HANDLERS

SELLER = uuid.uuid4()


def snapshot(ticket_id: uuid.UUID, version: int, **changes: Any) -> Envelope:
    data = {
        "id": str(ticket_id),
        "version": version,
        "title": f"Show v{version}",
        "priceCents": 1000 * version,
        "currency": "usd",
        "sellerId": str(SELLER),
        "orderId": None,
        "sold": False,
        **changes,
    }
    return new_event(TICKET_CREATED if version == 1 else TICKET_UPDATED, data)


def deliver(db: Database, event: Envelope) -> Outcome:
    return handle_message(db, OUTBOX, HANDLERS, event)


def replica(db: Database, ticket_id: uuid.UUID) -> Ticket | None:
    with db.transaction() as session:
        return session.get(Ticket, ticket_id)


def test_tickets_created_adds_the_ticket_to_the_replica(db: Database) -> None:
    ticket_id = uuid.uuid4()
    assert deliver(db, snapshot(ticket_id, 1)) is Outcome.APPLIED
    stored = replica(db, ticket_id)
    assert stored is not None
    assert (stored.version, stored.title, stored.price_cents, stored.currency) == (
        1,
        "Show v1",
        1000,
        "usd",
    )
    assert (stored.seller_id, stored.sold, stored.order_id) == (SELLER, False, None)


def test_the_same_event_delivered_twice_is_applied_once(db: Database) -> None:
    ticket_id = uuid.uuid4()
    created = snapshot(ticket_id, 1)
    assert deliver(db, created) is Outcome.APPLIED
    assert deliver(db, created) is Outcome.IGNORED
    assert replica(db, ticket_id).version == 1  # type: ignore[union-attr]  # present here, or the test fails


def test_a_version_already_applied_is_ignored_even_under_a_new_event_id(db: Database) -> None:
    ticket_id = uuid.uuid4()
    deliver(db, snapshot(ticket_id, 1))
    deliver(db, snapshot(ticket_id, 2))
    assert deliver(db, snapshot(ticket_id, 2, title="Replayed")) is Outcome.IGNORED
    assert deliver(db, snapshot(ticket_id, 1, title="Older")) is Outcome.IGNORED
    assert replica(db, ticket_id).title == "Show v2"  # type: ignore[union-attr]  # present here, or the test fails


def test_version_3_before_version_2_waits_and_then_the_replica_converges(db: Database) -> None:
    ticket_id = uuid.uuid4()
    order_id = uuid.uuid4()
    v1, v2 = snapshot(ticket_id, 1), snapshot(ticket_id, 2, orderId=str(order_id))
    v3 = snapshot(ticket_id, 3, orderId=str(order_id), sold=True)
    assert deliver(db, v1) is Outcome.APPLIED
    assert deliver(db, v3) is Outcome.RETRY_LATER
    assert replica(db, ticket_id).version == 1  # type: ignore[union-attr]  # present here, or the test fails
    assert deliver(db, v2) is Outcome.APPLIED
    assert deliver(db, v2) is Outcome.IGNORED
    assert deliver(db, v3) is Outcome.APPLIED  # the redelivery, once its predecessor is in
    stored = replica(db, ticket_id)
    assert stored is not None
    assert (stored.version, stored.order_id, stored.sold, stored.price_cents) == (
        3,
        order_id,
        True,
        3000,
    )


def test_an_update_before_the_creation_waits_for_it(db: Database) -> None:
    ticket_id = uuid.uuid4()
    v2 = snapshot(ticket_id, 2)
    assert deliver(db, v2) is Outcome.RETRY_LATER
    assert replica(db, ticket_id) is None
    assert deliver(db, snapshot(ticket_id, 1)) is Outcome.APPLIED
    assert deliver(db, v2) is Outcome.APPLIED
    assert replica(db, ticket_id).version == 2  # type: ignore[union-attr]  # present here, or the test fails


@pytest.mark.parametrize("shuffle", [[1, 2, 3, 4], [4, 3, 2, 1], [2, 4, 1, 3], [3, 1, 4, 2]])
def test_any_arrival_order_with_redelivery_converges_on_the_newest_version(
    db: Database, shuffle: list[int]
) -> None:
    ticket_id = uuid.uuid4()
    events = {v: snapshot(ticket_id, v) for v in range(1, 5)}
    pending = [events[v] for v in shuffle]
    for _ in range(10):  # what JetStream does: redeliver whatever was not acknowledged
        pending = [e for e in pending if deliver(db, e) is Outcome.RETRY_LATER]
        if not pending:
            break
    assert pending == []
    stored = replica(db, ticket_id)
    assert stored is not None
    assert (stored.version, stored.title) == (4, "Show v4")


def test_a_ticket_freed_by_tickets_updated_is_shown_as_free(db: Database) -> None:
    ticket_id = uuid.uuid4()
    locked = str(uuid.uuid4())
    for event in (
        snapshot(ticket_id, 1),
        snapshot(ticket_id, 2, orderId=locked),
        snapshot(ticket_id, 3, orderId=None),
    ):
        assert deliver(db, event) is Outcome.APPLIED
    assert replica(db, ticket_id).order_id is None  # type: ignore[union-attr]  # present here, or the test fails


def test_two_consumers_racing_on_the_same_version_apply_it_once(db: Database) -> None:
    ticket_id = uuid.uuid4()
    deliver(db, snapshot(ticket_id, 1))
    # The same snapshot under two event ids (a republished event), applied concurrently.
    copies = [snapshot(ticket_id, 2, title=f"copy {n}") for n in range(2)]
    for _ in range(10):
        with ThreadPoolExecutor(2) as pool:
            outcomes = sorted(o.value for o in pool.map(lambda e: deliver(db, e), copies))
        assert outcomes == [Outcome.APPLIED.value, Outcome.IGNORED.value]
        row = replica(db, ticket_id)
        assert row is not None and row.version == 2
        with db.transaction() as session:  # back to v1 for the next round
            session.execute(update(Ticket).where(Ticket.id == ticket_id).values(version=1))
        copies = [snapshot(ticket_id, 2, title=f"copy {n}") for n in range(2)]
