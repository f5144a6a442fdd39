"""The least a POST /api/orders can be with Flask under gunicorn: for bench/http_floor.py.

Not part of the product. `create_app()` serves POST /api/orders with plain Flask (no
flask-smorest schema, no token check, no SQLAlchemy) at the level FLOOR_LEVEL names:

- `flask`: reads the JSON body and answers 201 with a small JSON document; no database.
- `sql`: the same, after OrderService.create's statements in one transaction with raw
  psycopg on a connection per thread: BEGIN, ticket + live holder, order insert, outbox
  insert + NOTIFY, the two timeline entries, COMMIT (bench/pgbench_orders.py lists them).
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from flask import Flask, Response, request

_TICKET_AND_HOLDER = """
SELECT t.title, t.price_cents, t.currency, t.seller_id, t.sold,
       (SELECT o.status FROM orders o WHERE o.ticket_id = t.id
          AND o.status IN ('awaiting_payment', 'complete', 'created')) AS holder
  FROM tickets t WHERE t.id = %s
"""
_ORDER = """
INSERT INTO orders (id, ticket_id, user_id, status, version, ticket_title, price_cents,
                    currency, reason, reason_detail, expires_at, created_at, updated_at)
VALUES (%s, %s, %s, 'created', 1, %s, %s, %s, NULL, NULL, %s, %s, %s)
"""
_OUTBOX = """
WITH recorded AS (
  INSERT INTO outbox_events (event_id, event_type, aggregate_id, payload)
  VALUES (%s, 'orders.created', %s, %s) RETURNING sequence)
SELECT pg_notify('ticketing_outbox', '') FROM recorded
"""
_STEPS = """
INSERT INTO order_steps (order_id, step, outcome, attempt, at, detail)
VALUES (%s, 'reserve', 'ok', 1, %s, 'The ticket is reserved for you.'),
       (%s, 'await_payment', 'ok', 1, %s, 'Pay by the time shown or the order expires.')
"""


def _problem(status: int, title: str) -> Response:
    body = {"type": "about:blank", "title": title, "status": status}
    return Response(json.dumps(body), status, mimetype="application/problem+json")


class _Orders:
    """OrderService.create's SQL with raw psycopg, one connection per gunicorn thread."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.local = threading.local()

    def connection(self) -> psycopg.Connection[Any]:
        connection: psycopg.Connection[Any] | None = getattr(self.local, "connection", None)
        if connection is None:
            connection = psycopg.connect(self.conninfo, prepare_threshold=0)
            self.local.connection = connection
        return connection

    def create(self, ticket_id: uuid.UUID, buyer: uuid.UUID) -> dict[str, Any] | None:
        connection = self.connection()
        with connection.transaction():
            row = connection.execute(_TICKET_AND_HOLDER, (ticket_id,)).fetchone()
            if row is None or row[4] or row[5] is not None:
                return None
            title, price_cents, currency = row[0], row[1], row[2]
            order_id, event_id = uuid.uuid4(), uuid.uuid4()
            at = datetime.now(UTC)
            expires = at + timedelta(minutes=15)
            connection.execute(
                _ORDER,
                (order_id, ticket_id, buyer, title, price_cents, currency, expires, at, at),
            )
            order = {
                "id": str(order_id),
                "status": "created",
                "ticketId": str(ticket_id),
                "userId": str(buyer),
                "version": 1,
                "expiresAt": expires.isoformat(),
                "priceCents": price_cents,
                "currency": currency,
            }
            envelope = {"id": str(event_id), "type": "orders.created", "data": order}
            connection.execute(_OUTBOX, (event_id, order_id, json.dumps(envelope)))
            connection.execute(_STEPS, (order_id, at, order_id, at))
        return order


def create_app() -> Flask:
    """The floor app at FLOOR_LEVEL (`flask` or `sql`; `sql` needs FLOOR_DATABASE)."""
    app = Flask(__name__)
    level = os.environ.get("FLOOR_LEVEL", "flask")
    orders = _Orders(os.environ["FLOOR_DATABASE"]) if level == "sql" else None

    @app.post("/api/orders")
    def create_order() -> Response:
        body: Any = request.get_json(silent=True)
        try:
            ticket_id = uuid.UUID(str(body["ticketId"]))
        except (TypeError, KeyError, ValueError):
            return _problem(422, "ticketId is not a UUID")
        if orders is None:
            order: dict[str, Any] | None = {"ticketId": str(ticket_id), "status": "created"}
        else:
            order = orders.create(ticket_id, uuid.uuid4())
        if order is None:
            return _problem(409, "the ticket is not available")
        return Response(json.dumps(order), 201, mimetype="application/json")

    return app
