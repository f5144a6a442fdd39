"""A webhooks app on a clean test database, a real receiver, and events to feed it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.webhooks.app import create_app
from api.webhooks.config import WebhooksSettings
from api.webhooks.models import OUTBOX
from common.clock import SystemClock
from common.db import Database
from common.events.envelope import Envelope
from tests.integration.webhooks.receiver import Receiver, running_receiver
from workers.consumers import Outcome, handle_message
from workers.webhooks.dispatcher import Dispatcher
from workers.webhooks.handlers import make_handlers

Auth = Callable[[uuid.UUID], dict[str, str]]


@pytest.fixture
def webhooks_env(service_env: Callable[..., dict[str, str]]) -> dict[str, str]:
    # Tests deliver to a receiver on 127.0.0.1: private targets allowed, explicitly.
    return service_env(
        "webhooks", WEBHOOKS_ALLOW_PRIVATE_TARGETS="true", WEBHOOKS_RETRY_BASE_MS="100"
    )


@pytest.fixture
def settings(webhooks_env: dict[str, str]) -> WebhooksSettings:
    return WebhooksSettings.from_env(webhooks_env)


@pytest.fixture
def app(settings: WebhooksSettings) -> Iterator[Flask]:
    app = create_app(settings)
    yield app
    app.extensions["db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db(app: Flask) -> Database:
    return app.extensions["db"]  # type: ignore[no-any-return]


@pytest.fixture
def auth(issue_token: Callable[..., str]) -> Auth:
    def headers(user_id: uuid.UUID) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(user_id)}"}

    return headers


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def dispatcher(db: Database, settings: WebhooksSettings) -> Dispatcher:
    return Dispatcher(db, settings, SystemClock())


@pytest.fixture
def consume(db: Database, settings: WebhooksSettings) -> Callable[[Envelope], Outcome]:
    """Handle one platform event the way the consumer process does."""
    handlers = make_handlers(SystemClock(), settings.retry_for)

    def handle(envelope: Envelope) -> Outcome:
        return handle_message(db, OUTBOX, handlers, envelope)

    return handle


def order_event(event_type: str, buyer: uuid.UUID, **data: Any) -> Envelope:
    """An orders.* envelope as the orders service publishes it."""
    status = {"orders.created": "created", "orders.completed": "complete"}.get(
        event_type, "cancelled"
    )
    order = {
        "id": str(data.pop("order_id", uuid.uuid4())),
        "version": 1,
        "status": status,
        "ticketId": str(uuid.uuid4()),
        "userId": str(buyer),
        "expiresAt": "2026-11-24T20:15:00.000Z",
        "priceCents": 2000,
        "currency": "usd",
        "reason": None,
        **data,
    }
    return Envelope(uuid.uuid4(), event_type, datetime.now(UTC), "corr-1", order)


def ticket_sold_event(
    seller: uuid.UUID, ticket_id: uuid.UUID | None = None, version: int = 3
) -> Envelope:
    data = {
        "id": str(ticket_id or uuid.uuid4()),
        "version": version,
        "title": "Opera",
        "priceCents": 3500,
        "currency": "usd",
        "sellerId": str(seller),
        "orderId": str(uuid.uuid4()),
        "sold": True,
    }
    return Envelope(uuid.uuid4(), "tickets.updated", datetime.now(UTC), None, data)


def refund_event(order_id: uuid.UUID) -> Envelope:
    data = {
        "id": str(uuid.uuid4()),
        "orderId": str(order_id),
        "stripeId": "pi_123",
        "amountCents": 2000,
        "currency": "usd",
        "reason": "The order was cancelled before the charge completed.",
    }
    return Envelope(uuid.uuid4(), "payments.refunded", datetime.now(UTC), None, data)


def past(seconds: float) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds)
