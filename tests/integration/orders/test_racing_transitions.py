"""Transitions of one order racing in separate transactions: exactly one wins."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from api.orders.repository import transition
from api.orders.state import OrderStatus
from common.clock import FrozenClock
from common.db import Database
from tests.integration.orders.conftest import order_ticket

ROUNDS = 20


def race(
    db: Database, clock: FrozenClock, order_id: uuid.UUID, targets: list[OrderStatus]
) -> list[bool]:
    """One transition per target, each in its own thread and transaction, released together."""
    barrier = threading.Barrier(len(targets))
    won: list[bool | None] = [None] * len(targets)
    errors: list[BaseException] = []

    def attempt(index: int, target: OrderStatus) -> None:
        try:
            with db.transaction() as session:
                session.execute(sa.text("SELECT 1"))  # every transaction is open...
                barrier.wait(5)  # ...before any of them updates
                won[index] = transition(session, order_id, target, clock) is not None
        except BaseException as exc:  # reported by the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=pair) for pair in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert None not in won
    return [bool(w) for w in won]


@pytest.mark.parametrize(
    "targets",
    [
        [OrderStatus.CANCELLED, OrderStatus.COMPLETE],
        [OrderStatus.CANCELLED, OrderStatus.COMPLETE, OrderStatus.CANCELLED, OrderStatus.COMPLETE],
        [OrderStatus.COMPLETE, OrderStatus.COMPLETE, OrderStatus.COMPLETE],
        [OrderStatus.AWAITING_PAYMENT, OrderStatus.AWAITING_PAYMENT],
    ],
    ids=["cancel-vs-complete", "two-of-each", "three-payments", "two-payment-starts"],
)
def test_of_racing_transitions_exactly_one_wins_and_one_event_is_recorded(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Callable[[uuid.UUID], dict[str, str]],
    db: Database,
    clock: FrozenClock,
    outbox: Callable[[], list[dict[str, Any]]],
    targets: list[OrderStatus],
) -> None:
    for _ in range(ROUNDS):
        order = order_ticket(client, auth(uuid.uuid4()), seed_ticket())
        order_id = uuid.UUID(order["id"])
        won = race(db, clock, order_id, targets)
        assert won.count(True) == 1, won
        winner = targets[won.index(True)]
        with db.transaction() as session:
            row = session.execute(
                sa.text("SELECT status, version FROM orders WHERE id = :i"), {"i": order_id}
            ).one()
        assert (row.status, row.version) == (winner.value, 2)
        events = [e["data"] for e in outbox() if e["data"]["id"] == order["id"]]
        assert [(e["version"], e["status"]) for e in events] == [(1, "created"), (2, winner.value)]


def pay_when_released(
    db: Database, clock: FrozenClock, order_id: uuid.UUID, barrier: threading.Barrier
) -> tuple[threading.Thread, list[bool]]:
    """A payment completing the order in its own transaction once the barrier opens."""
    paid: list[bool] = []

    def pay() -> None:
        with db.transaction() as session:
            barrier.wait(5)
            paid.append(transition(session, order_id, OrderStatus.COMPLETE, clock) is not None)

    thread = threading.Thread(target=pay)
    thread.start()
    return thread, paid


def test_the_buyer_cancelling_while_the_payment_lands_gets_a_clear_conflict_or_wins(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Callable[[uuid.UUID], dict[str, str]],
    db: Database,
    clock: FrozenClock,
) -> None:
    for _ in range(ROUNDS):
        headers = auth(uuid.uuid4())
        order = order_ticket(client, headers, seed_ticket())
        barrier = threading.Barrier(2)
        payer, paid = pay_when_released(db, clock, uuid.UUID(order["id"]), barrier)
        barrier.wait(5)
        response = client.post(f"/api/orders/{order['id']}/cancel", headers=headers)
        payer.join(10)
        if paid == [True]:
            assert response.status_code == 409
            assert response.json["detail"] == "The order is complete; it cannot become cancelled."
        else:
            assert paid == [False]
            assert response.status_code == 200
            assert response.json["status"] == "cancelled"
