"""An orders app on a clean test database, a controllable clock, and replica seeding."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from api.orders.app import create_app
from api.orders.config import OrdersSettings
from api.orders.models import OUTBOX, Ticket
from common.clock import FrozenClock
from common.db import Database

START = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)


# The on-sale rules (tests/orders/test_fair_share.py, test_waiting_room.py) are off here:
# the other tests reserve many tickets for one buyer, from one address, in a burst.
ON_SALE_RULES_OFF = {
    "ORDERS_MAX_LIVE_PER_BUYER": "0",
    "ORDERS_ATTEMPTS_PER_BUYER": "0",
    "ORDERS_ATTEMPTS_PER_ADDRESS": "0",
    "WAITING_ROOM_ENABLED": "false",
}


@pytest.fixture
def orders_env(service_env: Callable[..., dict[str, str]]) -> dict[str, str]:
    return service_env("orders", **ON_SALE_RULES_OFF)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def make_app(orders_env: dict[str, str], clock: FrozenClock) -> Iterator[Callable[..., Flask]]:
    built: list[Flask] = []

    def make(**overrides: str) -> Flask:
        app = create_app(OrdersSettings.from_env({**orders_env, **overrides}), clock=clock)
        built.append(app)
        return app

    yield make
    for app in built:
        app.extensions["db"].dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db(orders_env: dict[str, str]) -> Iterator[Database]:
    database = Database.from_url(orders_env["DATABASE_URL"])
    yield database
    database.dispose()


@pytest.fixture
def seed_ticket(db: Database) -> Callable[..., uuid.UUID]:
    """Put a ticket straight into the replica, as if tickets.created had arrived."""

    def seed(
        seller_id: uuid.UUID | None = None,
        *,
        title: str = "Concert",
        price_cents: int = 2000,
        sold: bool = False,
        order_id: uuid.UUID | None = None,
        version: int = 1,
    ) -> uuid.UUID:
        ticket_id = uuid.uuid4()
        with db.transaction() as session:
            session.add(
                Ticket(
                    id=ticket_id,
                    version=version,
                    title=title,
                    price_cents=price_cents,
                    currency="usd",
                    seller_id=seller_id or uuid.uuid4(),
                    sold=sold,
                    order_id=order_id,
                )
            )
        return ticket_id

    return seed


@pytest.fixture
def auth(issue_token: Callable[..., str]) -> Callable[[uuid.UUID], dict[str, str]]:
    """Bearer headers of a user."""

    def headers(user_id: uuid.UUID) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(user_id)}"}

    return headers


@pytest.fixture
def outbox(db: Database) -> Callable[[], list[dict[str, Any]]]:
    """The events recorded so far, oldest first, as (type, data) dicts."""

    def events() -> list[dict[str, Any]]:
        with db.transaction() as session:
            rows = session.execute(
                sa.select(OUTBOX.outbox.c.event_type, OUTBOX.outbox.c.payload).order_by(
                    OUTBOX.outbox.c.sequence
                )
            ).all()
        return [{"type": row.event_type, "data": json.loads(row.payload)["data"]} for row in rows]

    return events


def order_ticket(
    client: FlaskClient, headers: dict[str, str], ticket_id: uuid.UUID
) -> dict[str, Any]:
    """POST /api/orders and insist it succeeded."""
    response = client.post("/api/orders", json={"ticketId": str(ticket_id)}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]  # JSON and Flask extensions are Any
