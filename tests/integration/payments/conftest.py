"""A payments app on a clean test database, the Stripe stand-in, Dramatiq on its own namespace.

Everything is real: PostgreSQL, Redis (a namespace per test), the official stripe client
talking to the in-process stand-in, and a `dramatiq.Worker` when a test needs the actors.
"""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import dramatiq
import pytest
import sqlalchemy as sa
from dramatiq.common import dq_name
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from api.payments.app import create_app
from api.payments.config import PaymentsSettings
from api.payments.followups import QUEUE, BrokerDispatcher
from api.payments.models import OUTBOX, Payment
from common.clock import FrozenClock, isoformat_z
from common.db import Database
from common.events.catalogue import ORDER_CREATED
from common.events.envelope import Envelope, new_event
from devtools.stripe_standin.server import StandinServer, serve
from tests.integration.workers.support import wait_until
from workers.broker import broker
from workers.consumers import Outcome, handle_message
from workers.payments import actors
from workers.payments.handlers import make_handlers

START = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
LIFETIME = timedelta(minutes=15)
WEBHOOK_SECRET = "whsec_payments_test"
PRICE_CENTS = 2000

Auth = Callable[[uuid.UUID], dict[str, str]]
Deliver = Callable[[Envelope], Outcome]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def standin() -> Iterator[StandinServer]:
    """The Stripe stand-in on a free port; webhooks go nowhere until `served` points them."""
    server, _ = serve(0, webhook_backoff_ms=50)
    yield server
    server.close()


@pytest.fixture
def payments_env(
    service_env: Callable[..., dict[str, str]], standin: StandinServer
) -> dict[str, str]:
    return service_env(
        "payments",
        STRIPE_API_KEY="sk_test_standin",
        STRIPE_API_BASE=standin.url,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        # One call per attempt, so armed stand-in faults map one to one onto attempts.
        STRIPE_MAX_NETWORK_RETRIES="0",
        STRIPE_TIMEOUT_SECONDS="10",
        PAYMENTS_ORDER_WAIT_MS="300",
        PAYMENTS_STUCK_AFTER_SECONDS="60",
    )


@pytest.fixture
def make_app(payments_env: dict[str, str], clock: FrozenClock) -> Iterator[Callable[..., Flask]]:
    """Build the app; the actors run on the newest app's use cases (same database, clock)."""
    built: list[Flask] = []

    def make(**overrides: str) -> Flask:
        settings = PaymentsSettings.from_env({**payments_env, **overrides})
        # The test's broker (its own namespace), which the test workers consume.
        app = create_app(settings, clock=clock, dispatcher=BrokerDispatcher(broker))
        actors.install(app.extensions["payments"])
        built.append(app)
        return app

    yield make
    actors.install(None)
    for app in built:
        app.extensions["payments"].close()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db(app: Flask) -> Database:
    return app.extensions["db"]  # type: ignore[no-any-return]  # JSON and Flask extensions are Any


@pytest.fixture(autouse=True)
def dramatiq_namespace(request: pytest.FixtureRequest) -> Iterator[str]:
    """Dramatiq keys of this test alone, removed afterwards (tests run in parallel)."""
    if request.node.get_closest_marker("unit"):
        yield broker.namespace  # a unit test sends nothing: no Redis to clean
        return
    # The broker is the process-wide one the actors are bound to; its namespace prefixes
    # every Redis key it touches, so a fresh one isolates this test's messages.
    original = broker.namespace
    broker.namespace = f"ticketing-test-payments-{uuid.uuid4().hex}"
    yield broker.namespace
    client = broker.client
    for key in client.scan_iter(match=f"{broker.namespace}*"):
        client.delete(key)
    broker.namespace = original


@pytest.fixture
def start_worker(app: Flask) -> Iterator[Callable[[], dramatiq.Worker]]:
    """Start a real Dramatiq worker running the payments actors against Redis."""
    started: list[dramatiq.Worker] = []

    def start() -> dramatiq.Worker:
        running = dramatiq.Worker(
            broker, queues={QUEUE, dq_name(QUEUE)}, worker_threads=2, worker_timeout=100
        )
        running.start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop(timeout=10_000)


@pytest.fixture
def worker(start_worker: Callable[[], dramatiq.Worker]) -> dramatiq.Worker:
    """A Dramatiq worker running from the start of the test."""
    return start_worker()


def queued() -> int:
    """Messages waiting on the payments queue (not yet taken by a worker)."""
    return int(broker.do_qsize(QUEUE))


def drop_queued() -> None:
    """Lose every message on the payments queue, as a Redis restart would."""
    broker.flush(QUEUE)


@pytest.fixture
def served(app: Flask, standin: StandinServer) -> Iterator[str]:
    """The app behind a real threaded WSGI server; the stand-in posts webhooks to it."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    httpd.socket.listen(64)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    control(
        standin,
        "/_standin/webhooks",
        {"url": f"{base}/api/payments/webhook", "secret": WEBHOOK_SECRET},
    )
    yield base
    control(standin, "/_standin/webhooks", {"url": None})
    httpd.shutdown()
    thread.join(10)


def control(server: StandinServer, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call a `/_standin/` control (POST when a body is given) and return its JSON."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - the local stand-in
        server.url + path, data=data, method="GET" if data is None else "POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - local
        return json.loads(response.read())


def intents(server: StandinServer) -> list[dict[str, Any]]:
    """Every PaymentIntent the stand-in holds."""
    return control(server, "/_standin/payment_intents")["data"]  # type: ignore[no-any-return]  # JSON and Flask extensions are Any


def refunds(server: StandinServer) -> list[dict[str, Any]]:
    """Every refund the stand-in made."""
    return control(server, "/_standin/refunds")["data"]  # type: ignore[no-any-return]  # JSON and Flask extensions are Any


def stripe_calls(server: StandinServer) -> list[dict[str, Any]]:
    """Every Stripe event the stand-in recorded (one per charge outcome or refund)."""
    return control(server, "/_standin/events")["data"]  # type: ignore[no-any-return]  # JSON and Flask extensions are Any


def fail_next(server: StandinServer, count: int = 1, **fault: Any) -> None:
    """Make the next `count` Stripe calls fail (`status`, `mode`, `when`, `hangMs`)."""
    control(server, "/_standin/faults", {"failNext": count, **fault})


def wait_for_webhooks(server: StandinServer) -> None:
    """Block until the stand-in has delivered every webhook it owes."""
    assert control(server, "/_standin/webhooks/wait", {"timeoutMs": 20_000})["idle"]


@pytest.fixture
def auth(issue_token: Callable[..., str]) -> Auth:
    """Bearer headers of a user."""

    def headers(user_id: uuid.UUID) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(user_id)}"}

    return headers


@pytest.fixture
def deliver(db: Database, clock: FrozenClock) -> Deliver:
    """Hand an event to the payments consumer's handlers, as the consumer process does."""
    handlers = make_handlers(clock, BrokerDispatcher(broker))
    return lambda event: handle_message(db, OUTBOX, handlers, event)


def order_event(
    event_type: str,
    order_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    version: int = 1,
    status: str = "created",
    reason: str | None = None,
    expires_at: datetime | None = None,
    price_cents: int = PRICE_CENTS,
    ticket_id: uuid.UUID | None = None,
) -> Envelope:
    """An orders.* snapshot as the orders service publishes it."""
    return new_event(
        event_type,
        {
            "id": str(order_id),
            "version": version,
            "status": status,
            "ticketId": str(ticket_id or uuid.uuid5(uuid.NAMESPACE_URL, str(order_id))),
            "userId": str(user_id),
            "expiresAt": isoformat_z(expires_at or START + LIFETIME),
            "priceCents": price_cents,
            "currency": "usd",
            "reason": reason,
        },
    )


@pytest.fixture
def new_order(deliver: Deliver) -> Callable[..., uuid.UUID]:
    """An order of `user_id` that reached the replica through orders.created."""

    def create(user_id: uuid.UUID, **snapshot: Any) -> uuid.UUID:
        order_id = uuid.uuid4()
        assert deliver(order_event(ORDER_CREATED, order_id, user_id, **snapshot)) is Outcome.APPLIED
        return order_id

    return create


def pay(
    client: FlaskClient, headers: dict[str, str], order_id: uuid.UUID, method: str = "pm_card_visa"
) -> Any:
    """POST /api/payments."""
    return client.post(
        "/api/payments", json={"orderId": str(order_id), "paymentMethod": method}, headers=headers
    )


def outbox(db: Database) -> list[dict[str, Any]]:
    """The events recorded so far, oldest first, as {type, data} dicts."""
    with db.transaction() as session:
        rows = session.execute(
            sa.select(OUTBOX.outbox.c.event_type, OUTBOX.outbox.c.payload).order_by(
                OUTBOX.outbox.c.sequence
            )
        ).all()
    return [{"type": row.event_type, "data": json.loads(row.payload)["data"]} for row in rows]


def types(db: Database) -> list[str]:
    """The types of the events recorded so far, oldest first."""
    return [event["type"] for event in outbox(db)]


def payment_row(db: Database, payment_id: uuid.UUID | str) -> Payment:
    """The stored payment."""
    with db.transaction() as session:
        found = session.get(Payment, uuid.UUID(str(payment_id)))
    assert found is not None
    return found


def only_payment(db: Database) -> Payment:
    """The one payment of the test."""
    with db.transaction() as session:
        return session.scalars(sa.select(Payment)).one()


def eventually(check: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait until `check()` holds (the workers are asynchronous)."""
    wait_until(check, timeout, step=0.05)
