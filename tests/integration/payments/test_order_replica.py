"""The orders replica converges whatever the order, duplication or repetition of events."""

from __future__ import annotations

import uuid

import pytest

from api.payments.domain import OrderStatus
from api.payments.models import Order
from common.db import Database
from common.events.catalogue import ORDER_CANCELLED, ORDER_COMPLETED, ORDER_CREATED, ORDER_UPDATED
from common.events.envelope import Envelope
from tests.integration.payments.conftest import Deliver, order_event
from workers.consumers import Outcome
from workers.payments.handlers import HANDLERS


def stored(db: Database, order_id: uuid.UUID) -> tuple[OrderStatus, int, str | None] | None:
    with db.transaction() as session:
        order = session.get(Order, order_id)
    return None if order is None else (order.status, order.version, order.reason)


def history(order_id: uuid.UUID, buyer: uuid.UUID) -> list[Envelope]:
    return [
        order_event(ORDER_CREATED, order_id, buyer, version=1),
        order_event(ORDER_UPDATED, order_id, buyer, version=2, status="awaiting_payment"),
        order_event(ORDER_CANCELLED, order_id, buyer, version=3, status="cancelled", reason="x"),
    ]


def test_the_table_handles_every_order_event_and_nothing_else() -> None:
    assert set(HANDLERS) == {ORDER_CREATED, ORDER_UPDATED, ORDER_CANCELLED, ORDER_COMPLETED}


def test_events_in_order_are_applied_one_version_at_a_time(deliver: Deliver, db: Database) -> None:
    order_id, buyer = uuid.uuid4(), uuid.uuid4()

    outcomes = [deliver(event) for event in history(order_id, buyer)]

    assert outcomes == [Outcome.APPLIED] * 3
    assert stored(db, order_id) == (OrderStatus.CANCELLED, 3, "x")


def test_the_same_event_delivered_twice_is_applied_once(deliver: Deliver, db: Database) -> None:
    order_id, buyer = uuid.uuid4(), uuid.uuid4()
    created = order_event(ORDER_CREATED, order_id, buyer)

    assert deliver(created) is Outcome.APPLIED
    assert deliver(created) is Outcome.IGNORED
    assert stored(db, order_id) == (OrderStatus.CREATED, 1, None)


def test_an_older_snapshot_republished_under_a_new_id_is_ignored(
    deliver: Deliver, db: Database
) -> None:
    order_id, buyer = uuid.uuid4(), uuid.uuid4()
    for event in history(order_id, buyer):
        deliver(event)

    late = order_event(ORDER_UPDATED, order_id, buyer, version=2, status="awaiting_payment")

    assert deliver(late) is Outcome.IGNORED
    assert stored(db, order_id) == (OrderStatus.CANCELLED, 3, "x")


@pytest.mark.parametrize("arrival", [(2, 0, 1), (1, 2, 0), (2, 1, 0)])
def test_events_out_of_order_wait_for_their_predecessors_and_converge(
    deliver: Deliver, db: Database, arrival: tuple[int, int, int]
) -> None:
    order_id, buyer = uuid.uuid4(), uuid.uuid4()
    events = history(order_id, buyer)
    pending = [events[i] for i in arrival]

    # Like JetStream redelivering what was nak'ed: retry until nothing is left.
    for _ in range(len(events) + 1):
        pending = [event for event in pending if deliver(event) is Outcome.RETRY_LATER]

    assert pending == []
    assert stored(db, order_id) == (OrderStatus.CANCELLED, 3, "x")


def test_an_event_ahead_of_a_missing_first_version_is_retried_later(
    deliver: Deliver, db: Database
) -> None:
    order_id, buyer = uuid.uuid4(), uuid.uuid4()

    outcome = deliver(order_event(ORDER_UPDATED, order_id, buyer, version=2, status="created"))

    assert outcome is Outcome.RETRY_LATER
    assert stored(db, order_id) is None
