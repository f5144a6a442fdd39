"""A tickets app on a clean test database, signed-in callers, and ways to lock tickets."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from api.tickets.app import create_app
from api.tickets.config import TicketsSettings
from api.tickets.models import OUTBOX
from common.db import Database
from common.events.catalogue import ORDER_CANCELLED, ORDER_COMPLETED, ORDER_CREATED
from common.events.envelope import Envelope, new_event
from workers.consumers import Outcome, handle_message
from workers.tickets.handlers import HANDLERS

ORDER_STATUS = {ORDER_CREATED: "created", ORDER_CANCELLED: "cancelled", ORDER_COMPLETED: "complete"}


@pytest.fixture
def tickets_env(service_env: Callable[..., dict[str, str]]) -> dict[str, str]:
    return service_env("tickets")


@pytest.fixture
def app(tickets_env: dict[str, str]) -> Flask:
    return create_app(TicketsSettings.from_env(tickets_env))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db(app: Flask) -> Database:
    return app.extensions["db"]  # type: ignore[no-any-return]  # JSON and Flask extensions are Any


class Seller:
    """A signed-in user with a bearer token."""

    def __init__(self, token: str, user_id: uuid.UUID) -> None:
        self.id, self.token = user_id, token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_user(issue_token: Callable[..., str]) -> Callable[[], Seller]:
    def make() -> Seller:
        user_id = uuid.uuid4()
        return Seller(issue_token(user_id, f"{user_id.hex[:8]}@example.com"), user_id)

    return make


@pytest.fixture
def seller(make_user: Callable[[], Seller]) -> Seller:
    return make_user()


@pytest.fixture
def create_ticket(client: FlaskClient, seller: Seller) -> Callable[..., dict[str, Any]]:
    def create(
        title: str = "Concert", price: Any = "20.00", owner: Seller | None = None
    ) -> dict[str, Any]:
        response = client.post(
            "/api/tickets", json={"title": title, "price": price}, headers=(owner or seller).headers
        )
        assert response.status_code == 201, response.json
        return response.json  # type: ignore[no-any-return]  # JSON and Flask extensions are Any

    return create


def order_event(
    event_type: str,
    ticket_id: str,
    order_id: uuid.UUID | None = None,
    version: int = 1,
    price_cents: int = 2000,
) -> Envelope:
    """An orders.* event about one ticket, as the orders service publishes it."""
    return new_event(
        event_type,
        {
            "id": str(order_id or uuid.uuid4()),
            "version": version,
            "status": ORDER_STATUS[event_type],
            "ticketId": ticket_id,
            "userId": str(uuid.uuid4()),
            "expiresAt": "2030-01-01T00:00:00Z",
            "priceCents": price_cents,
            "currency": "usd",
            "reason": "cancelled by buyer" if event_type == ORDER_CANCELLED else None,
        },
    )


def outbox_rows(db: Database, aggregate_id: str) -> list[dict[str, Any]]:
    """The events recorded for one ticket, oldest first, decoded from the outbox."""
    table = OUTBOX.outbox
    with db.transaction() as session:
        rows = session.execute(
            select(table.c.event_type, table.c.payload)
            .where(table.c.aggregate_id == uuid.UUID(aggregate_id))
            .order_by(table.c.sequence)
        ).all()
    return [{"type": row.event_type, **Envelope.from_json(row.payload).__dict__} for row in rows]


def deliver(db: Database, envelope: Envelope) -> Outcome:
    """Hand an event to the tickets consumer's unit of work, as the runner would."""
    return handle_message(db, OUTBOX, HANDLERS, envelope)
