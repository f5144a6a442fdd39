"""POST /api/orders: reserving a ticket, and every reason it can be refused."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError

from api.orders.models import Order
from api.orders.state import OrderStatus
from common.clock import FrozenClock, isoformat_z
from common.db import Database
from tests.integration.orders.conftest import START, order_ticket

Auth = Callable[[uuid.UUID], dict[str, str]]


def insert_order(
    db: Database, ticket_id: uuid.UUID, status: OrderStatus, user_id: uuid.UUID | None = None
) -> uuid.UUID:
    order_id = uuid.uuid4()
    with db.transaction() as session:
        session.add(
            Order(
                id=order_id,
                ticket_id=ticket_id,
                user_id=user_id or uuid.uuid4(),
                status=status,
                version=1,
                ticket_title="t",
                price_cents=100,
                currency="usd",
                reason=None,
                expires_at=START,
                created_at=START,
                updated_at=START,
            )
        )
    return order_id


def test_buyer_orders_a_ticket_and_it_is_held_until_expiry(
    client: FlaskClient, seed_ticket: Callable[..., uuid.UUID], auth: Auth
) -> None:
    buyer = uuid.uuid4()
    ticket_id = seed_ticket(title="Jazz night", price_cents=2000)
    response = client.post("/api/orders", json={"ticketId": str(ticket_id)}, headers=auth(buyer))
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "created"
    assert body["ticketId"] == str(ticket_id)
    assert body["ticket"] == {"title": "Jazz night", "price": "20.00", "currency": "usd"}
    assert body["userId"] == str(buyer)
    assert body["version"] == 1
    assert body["expiresAt"] == isoformat_z(START + timedelta(seconds=900))
    assert body["createdAt"] == body["updatedAt"] == isoformat_z(START)
    uuid.UUID(body["id"])


def test_the_hold_lasts_order_expiration_seconds(
    make_app: Callable[..., Flask],
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
    clock: FrozenClock,
) -> None:
    client = make_app(ORDER_EXPIRATION_SECONDS="60").test_client()
    clock.advance(30)
    body = order_ticket(client, auth(uuid.uuid4()), seed_ticket())
    assert body["expiresAt"] == isoformat_z(START + timedelta(seconds=90))


def test_creating_an_order_records_orders_created_with_version_1(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
    outbox: Callable[[], list[dict[str, Any]]],
) -> None:
    buyer = uuid.uuid4()
    ticket_id = seed_ticket(price_cents=1234)
    body = order_ticket(client, auth(buyer), ticket_id)
    assert outbox() == [
        {
            "type": "orders.created",
            "data": {
                "id": body["id"],
                "version": 1,
                "status": "created",
                "ticketId": str(ticket_id),
                "userId": str(buyer),
                "expiresAt": body["expiresAt"],
                "priceCents": 1234,
                "currency": "usd",
                "reason": None,
            },
        }
    ]


def test_an_unknown_ticket_is_not_found(client: FlaskClient, auth: Auth) -> None:
    response = client.post(
        "/api/orders", json={"ticketId": str(uuid.uuid4())}, headers=auth(uuid.uuid4())
    )
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"] == [{"message": "Unknown ticket.", "field": "ticketId"}]


def test_nobody_can_order_their_own_ticket(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
    outbox: Callable[[], list[dict[str, Any]]],
) -> None:
    seller = uuid.uuid4()
    response = client.post(
        "/api/orders", json={"ticketId": str(seed_ticket(seller))}, headers=auth(seller)
    )
    assert response.status_code == 409
    assert response.json["detail"] == "You cannot buy your own ticket."
    assert outbox() == []


def test_second_buyer_gets_conflict_while_ticket_is_reserved(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
) -> None:
    ticket_id = seed_ticket()
    order_ticket(client, auth(uuid.uuid4()), ticket_id)
    response = client.post(
        "/api/orders", json={"ticketId": str(ticket_id)}, headers=auth(uuid.uuid4())
    )
    assert response.status_code == 409
    assert response.json["detail"] == "The ticket is reserved by another order."


def test_a_ticket_the_replica_knows_as_sold_cannot_be_ordered(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
) -> None:
    response = client.post(
        "/api/orders", json={"ticketId": str(seed_ticket(sold=True))}, headers=auth(uuid.uuid4())
    )
    assert response.status_code == 409
    assert response.json["detail"] == "The ticket is already sold."


def test_a_ticket_with_a_complete_order_is_sold_even_before_the_replica_knows(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
    db: Database,
) -> None:
    ticket_id = seed_ticket()
    insert_order(db, ticket_id, OrderStatus.COMPLETE)
    response = client.post(
        "/api/orders", json={"ticketId": str(ticket_id)}, headers=auth(uuid.uuid4())
    )
    assert response.status_code == 409
    assert response.json["detail"] == "The ticket is already sold."


def test_a_ticket_can_be_ordered_again_once_its_order_is_cancelled(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
    db: Database,
) -> None:
    ticket_id = seed_ticket()
    first_buyer = auth(uuid.uuid4())
    first = order_ticket(client, first_buyer, ticket_id)
    cancelled = client.post(f"/api/orders/{first['id']}/cancel", headers=first_buyer)
    assert cancelled.status_code == 200
    # The replica may still name the cancelled order as the lock holder: it lags behind.
    with db.transaction() as session:
        session.execute(sa.text("UPDATE tickets SET order_id = :o"), {"o": first["id"]})
    second = order_ticket(client, auth(uuid.uuid4()), ticket_id)
    assert second["id"] != first["id"]


def test_the_database_refuses_a_second_live_order_for_a_ticket(
    seed_ticket: Callable[..., uuid.UUID],
    db: Database,
) -> None:
    ticket_id = seed_ticket()
    insert_order(db, ticket_id, OrderStatus.CANCELLED)
    insert_order(db, ticket_id, OrderStatus.AWAITING_PAYMENT)
    for status in (OrderStatus.CREATED, OrderStatus.COMPLETE):
        with pytest.raises(IntegrityError, match="uq_orders_live_ticket"):
            insert_order(db, ticket_id, status)


def test_a_buyer_racing_an_uncommitted_order_gets_conflict_from_the_unique_index(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
    db: Database,
) -> None:
    ticket_id = seed_ticket()
    headers = auth(uuid.uuid4())
    result: dict[str, Any] = {}
    with db.transaction() as session:
        session.add(
            Order(
                id=uuid.uuid4(),
                ticket_id=ticket_id,
                user_id=uuid.uuid4(),
                status=OrderStatus.CREATED,
                version=1,
                ticket_title="t",
                price_cents=100,
                currency="usd",
                reason=None,
                expires_at=START,
                created_at=START,
                updated_at=START,
            )
        )
        session.flush()  # the rival's row exists but is not committed: the check cannot see it

        def buy() -> None:
            result["response"] = client.post(
                "/api/orders", json={"ticketId": str(ticket_id)}, headers=headers
            )

        racer = threading.Thread(target=buy)
        racer.start()
        racer.join(0.5)
        assert racer.is_alive(), "the insert should wait on the rival's unique-index entry"
    racer.join(10)
    assert result["response"].status_code == 409
    assert result["response"].json["detail"] == "The ticket is reserved by another order."
