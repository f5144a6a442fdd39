"""The web app in front of the real auth, tickets and orders apps behind the Python gateway.

Each API runs under a real threaded WSGI server on a free port, the gateway routes to them by
prefix, and the web app (driven by Flask's test client) calls the gateway like in production.
Events between tickets and orders are handed over synchronously with the services' own
consumer handlers, so a test decides when replicas and locks catch up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import WSGIRequestHandler, make_server

from api.auth.app import create_app as create_auth_app
from api.auth.config import AuthSettings
from api.orders.app import create_app as create_orders_app
from api.orders.config import OrdersSettings
from api.orders.models import OUTBOX as ORDERS_OUTBOX
from api.tickets.app import create_app as create_tickets_app
from api.tickets.config import TicketsSettings
from api.tickets.models import OUTBOX as TICKETS_OUTBOX
from common.db import Database
from common.events.envelope import Envelope
from common.outbox import OutboxTables
from deploy.gateway.app import GatewaySettings
from deploy.gateway.app import create_app as create_gateway
from deploy.gateway.routes import Route, RouteTable, Upstream
from web.app import create_app as create_web_app
from web.config import WebSettings
from workers.consumers import Handler, Outcome, handle_message
from workers.orders.handlers import HANDLERS as ORDERS_HANDLERS
from workers.tickets.handlers import HANDLERS as TICKETS_HANDLERS

Wsgi = Callable[..., object]


class QuietHandler(WSGIRequestHandler):
    """No access log lines: the apps log what matters themselves."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def serving(app: Wsgi) -> Iterator[Upstream]:
    """Serve a WSGI app on a free local port in a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)  # type: ignore[arg-type]  # its handler subclasses the stub's one
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Upstream("127.0.0.1", server.server_port)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def _pump(
    source: Database,
    source_tables: OutboxTables,
    target: Database,
    target_tables: OutboxTables,
    handlers: dict[str, Handler],
) -> int:
    """Hand the source's unpublished events to the target's handlers; how many were applied."""
    outbox = source_tables.outbox
    with source.transaction() as session:
        rows = session.execute(
            sa.select(outbox.c.sequence, outbox.c.payload)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.sequence)
        ).all()
        if rows:
            session.execute(
                sa.update(outbox)
                .where(outbox.c.sequence.in_([row.sequence for row in rows]))
                .values(published_at=sa.func.now())
            )
    outcomes = [
        handle_message(target, target_tables, handlers, Envelope.from_json(row.payload))
        for row in rows
    ]
    assert Outcome.RETRY_LATER not in outcomes, "an event arrived ahead of its predecessor"
    return outcomes.count(Outcome.APPLIED)


@dataclass(frozen=True)
class Backend:
    """The APIs behind a gateway, and their databases."""

    gateway: Upstream
    tickets_db: Database
    orders_db: Database

    @property
    def url(self) -> str:
        return f"http://{self.gateway.address}"

    def deliver_events(self) -> None:
        """Relay events between tickets and orders until both sides are caught up."""
        for _ in range(10):
            moved = _pump(
                self.tickets_db, TICKETS_OUTBOX, self.orders_db, ORDERS_OUTBOX, ORDERS_HANDLERS
            )
            moved += _pump(
                self.orders_db, ORDERS_OUTBOX, self.tickets_db, TICKETS_OUTBOX, TICKETS_HANDLERS
            )
            if not moved:
                return
        raise AssertionError("events kept flowing between tickets and orders")


@pytest.fixture
def api_env(service_env: Callable[..., dict[str, str]]) -> dict[str, dict[str, str]]:
    """Each API's environment: clean databases, the session's signing keys."""
    return {
        # No grace for a repeated refresh: these tests replay a token right after its use
        # to see the web react to a stolen session (the grace is tested in tests/auth).
        "auth": service_env("auth", signer=True, REFRESH_REUSE_GRACE_SECONDS="0"),
        "tickets": service_env("tickets"),
        "orders": service_env("orders", ORDER_EXPIRATION_SECONDS="600"),
    }


@pytest.fixture
def backend(api_env: dict[str, dict[str, str]]) -> Iterator[Backend]:
    apps: list[Flask] = [
        create_auth_app(AuthSettings.from_env(api_env["auth"])),
        create_tickets_app(TicketsSettings.from_env(api_env["tickets"])),
        create_orders_app(OrdersSettings.from_env(api_env["orders"])),
    ]
    prefixes = ("/api/users", "/api/tickets", "/api/orders")
    with ExitStack() as stack:
        upstreams = [stack.enter_context(serving(app)) for app in apps]
        # Paths the web owns never reach this gateway in these tests: the web runs in-process.
        routes = RouteTable(
            tuple(Route(p, u) for p, u in zip(prefixes, upstreams, strict=True)),
            default=Upstream("127.0.0.1", 9),
        )
        gateway = stack.enter_context(serving(create_gateway(GatewaySettings(routes=routes))))
        yield Backend(gateway, apps[1].extensions["db"], apps[2].extensions["db"])
    for app in apps:
        app.extensions["db"].dispose()


@pytest.fixture
def web_env(backend: Backend, rsa_keys: dict[str, str]) -> dict[str, str]:
    """The web app's environment, pointed at the test gateway."""
    return {
        "APP_ENV": "test",
        "GATEWAY_URL": backend.url,
        "JWT_ALGORITHM": "RS256",
        "JWT_PUBLIC_KEY": rsa_keys["public"],
        "JWT_COOKIE_SECURE": "false",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def make_web(web_env: dict[str, str]) -> Callable[..., Flask]:
    def make(**overrides: str) -> Flask:
        return create_web_app(WebSettings.from_env({**web_env, **overrides}))

    return make


@pytest.fixture
def web_app(make_web: Callable[..., Flask]) -> Flask:
    return make_web()


@pytest.fixture
def browser(web_app: Flask) -> FlaskClient:
    """A visitor's browser: keeps cookies between requests."""
    return web_app.test_client()


@pytest.fixture
def make_browser(web_app: Flask) -> Callable[[], FlaskClient]:
    """Another visitor, with cookies of their own."""
    return web_app.test_client
