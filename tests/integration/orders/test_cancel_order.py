"""POST /api/orders/{id}/cancel: the buyer gives up an unpaid order."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from common.clock import FrozenClock, isoformat_z
from common.db import Database
from tests.integration.orders.conftest import order_ticket

Auth = Callable[[uuid.UUID], dict[str, str]]


def set_status(db: Database, order_id: str, status: str) -> None:
    with db.transaction() as session:
        session.execute(
            sa.text("UPDATE orders SET status = :s WHERE id = :i"), {"s": status, "i": order_id}
        )


def test_the_buyer_cancels_a_new_order(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
    clock: FrozenClock,
    outbox: Callable[[], list[dict[str, Any]]],
) -> None:
    headers = auth(uuid.uuid4())
    order = order_ticket(client, headers, seed_ticket())
    clock.advance(60)
    response = client.post(f"/api/orders/{order['id']}/cancel", headers=headers)
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "cancelled"
    assert body["version"] == 2
    assert body["updatedAt"] == isoformat_z(clock.now())
    assert body["createdAt"] == order["createdAt"]
    assert client.get(f"/api/orders/{order['id']}", headers=headers).json == body
    events = outbox()
    assert [e["type"] for e in events] == ["orders.created", "orders.cancelled"]
    assert events[1]["data"] == {
        **events[0]["data"],
        "status": "cancelled",
        "version": 2,
        "reason": "cancelled_by_buyer",
    }


def test_the_buyer_cancels_an_order_awaiting_payment(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
    db: Database,
) -> None:
    headers = auth(uuid.uuid4())
    order = order_ticket(client, headers, seed_ticket())
    set_status(db, order["id"], "awaiting_payment")
    response = client.post(f"/api/orders/{order['id']}/cancel", headers=headers)
    assert response.status_code == 200
    assert response.json["status"] == "cancelled"


@pytest.mark.parametrize("status", ["cancelled", "complete"])
def test_a_finished_order_cannot_be_cancelled_and_the_problem_says_why(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
    db: Database,
    outbox: Callable[[], list[dict[str, Any]]],
    status: str,
) -> None:
    headers = auth(uuid.uuid4())
    order = order_ticket(client, headers, seed_ticket())
    set_status(db, order["id"], status)
    response = client.post(f"/api/orders/{order['id']}/cancel", headers=headers)
    assert response.status_code == 409
    assert response.json["detail"] == f"The order is {status}; it cannot become cancelled."
    assert [e["type"] for e in outbox()] == ["orders.created"]


def test_cancelling_twice_is_a_conflict_the_second_time(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
) -> None:
    headers = auth(uuid.uuid4())
    order = order_ticket(client, headers, seed_ticket())
    assert client.post(f"/api/orders/{order['id']}/cancel", headers=headers).status_code == 200
    again = client.post(f"/api/orders/{order['id']}/cancel", headers=headers)
    assert again.status_code == 409
    assert "cancelled" in again.json["detail"]


def test_cancelling_releases_the_ticket_for_another_buyer(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
) -> None:
    ticket_id = seed_ticket()
    headers = auth(uuid.uuid4())
    order = order_ticket(client, headers, ticket_id)
    client.post(f"/api/orders/{order['id']}/cancel", headers=headers)
    assert order_ticket(client, auth(uuid.uuid4()), ticket_id)["status"] == "created"
