"""The least a POST /api/orders can be with Flask under gunicorn: for bench/http_floor.py.

Not part of the product. `create_app()` serves POST /api/orders with plain Flask (no
flask-smorest schema, no token check, no SQLAlchemy) at the level FLOOR_LEVEL names:

- `flask`: reads the JSON body and answers 201 with a small JSON document; no database.
- `sql`: the same, after OrderService.create's statements in one transaction with raw
  psycopg on a connection per thread: BEGIN, ticket + live holder, order insert, outbox
  insert + NOTIFY, the two timeline entries, COMMIT (bench/pgbench_orders.py lists them).
- `pay`: `sql`, and POST /api/payments: the least a whole purchase can be. One transaction
  locks the order, has the Stripe stand-in (FLOOR_STRIPE, a kept-alive connection per
  thread) create and confirm the PaymentIntent, records the payment, completes the order
  with its timeline entry and outbox event, and marks the ticket sold. No events travel:
  the product spreads the same writes over three services and their consumers.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

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
_OUTBOX_COMPLETED = _OUTBOX.replace("'orders.created'", "'orders.completed'")
_STEPS = """
INSERT INTO order_steps (order_id, step, outcome, attempt, at, detail)
VALUES (%s, 'reserve', 'ok', 1, %s, 'The ticket is reserved for you.'),
       (%s, 'await_payment', 'ok', 1, %s, 'Pay by the time shown or the order expires.')
"""


_PAYABLE = """
SELECT o.ticket_id, o.user_id, o.price_cents, o.currency, o.version
  FROM orders o WHERE o.id = %s AND o.status = 'created' FOR UPDATE
"""
_PAYMENT = """
INSERT INTO floor_payments (id, order_id, user_id, amount_cents, currency, stripe_id, status)
VALUES (%s, %s, %s, %s, %s, %s, 'succeeded')
"""
_COMPLETE = """
UPDATE orders SET status = 'complete', version = version + 1, updated_at = %s WHERE id = %s
"""
_COMPLETED_STEP = """
INSERT INTO order_steps (order_id, step, outcome, attempt, at, detail)
VALUES (%s, 'pay', 'ok', 1, %s, 'Paid: the ticket is yours.')
"""
_SOLD = "UPDATE tickets SET sold = true, order_id = %s WHERE id = %s"
# The floor's own payments table (the orders database has none): created by bench/http_floor.py.
PAYMENTS_TABLE = """
CREATE TABLE IF NOT EXISTS floor_payments (
  id uuid PRIMARY KEY, order_id uuid NOT NULL UNIQUE, user_id uuid NOT NULL,
  amount_cents integer NOT NULL, currency varchar(3) NOT NULL, stripe_id text NOT NULL,
  status varchar(20) NOT NULL)
"""
STANDIN_KEY = "sk_test_floor"


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

    def stripe(self) -> http.client.HTTPConnection:
        stripe: http.client.HTTPConnection | None = getattr(self.local, "stripe", None)
        if stripe is None:
            parts = urlsplit(os.environ["FLOOR_STRIPE"])
            stripe = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
            self.local.stripe = stripe
        return stripe

    def charge(self, order_id: uuid.UUID, amount_cents: int, currency: str) -> str:
        """A confirmed card PaymentIntent from the stand-in, under the order's key; its id."""
        form = urlencode(
            {
                "amount": amount_cents,
                "currency": currency,
                "payment_method": "pm_card_visa",
                "confirm": "true",
                "allowed_payment_method_types[0]": "card",
                "metadata[orderId]": str(order_id),
            }
        )
        headers = {
            "Authorization": f"Bearer {STANDIN_KEY}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Idempotency-Key": f"charge-{order_id}",
        }
        stripe = self.stripe()
        stripe.request("POST", "/v1/payment_intents", form, headers)
        answer = stripe.getresponse()
        intent = json.loads(answer.read())
        if answer.status != 200 or intent.get("status") != "succeeded":
            raise RuntimeError(f"stand-in answered {answer.status}: {intent}")
        return str(intent["id"])

    def pay(self, order_id: uuid.UUID) -> dict[str, Any] | None:
        connection = self.connection()
        with connection.transaction():
            row = connection.execute(_PAYABLE, (order_id,)).fetchone()
            if row is None:
                return None
            ticket_id, buyer, price_cents, currency = row[0], row[1], row[2], row[3]
            stripe_id = self.charge(order_id, price_cents, currency)
            payment_id, event_id, at = uuid.uuid4(), uuid.uuid4(), datetime.now(UTC)
            connection.execute(
                _PAYMENT, (payment_id, order_id, buyer, price_cents, currency, stripe_id)
            )
            connection.execute(_COMPLETE, (at, order_id))
            connection.execute(_COMPLETED_STEP, (order_id, at))
            order = {"id": str(order_id), "status": "complete", "version": row[4] + 1}
            envelope = {"id": str(event_id), "type": "orders.completed", "data": order}
            connection.execute(_OUTBOX_COMPLETED, (event_id, order_id, json.dumps(envelope)))
            connection.execute(_SOLD, (order_id, ticket_id))
        return {"id": str(payment_id), "orderId": str(order_id), "status": "succeeded"}


def create_app() -> Flask:
    """The floor app at FLOOR_LEVEL (`flask`, `sql` or `pay`; these need FLOOR_DATABASE)."""
    app = Flask(__name__)
    level = os.environ.get("FLOOR_LEVEL", "flask")
    orders = _Orders(os.environ["FLOOR_DATABASE"]) if level in ("sql", "pay") else None

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

    @app.post("/api/payments")
    def create_payment() -> Response:
        body: Any = request.get_json(silent=True)
        try:
            order_id = uuid.UUID(str(body["orderId"]))
        except (TypeError, KeyError, ValueError):
            return _problem(422, "orderId is not a UUID")
        payment = orders.pay(order_id) if orders is not None else None
        if payment is None:
            return _problem(409, "the order is not payable")
        return Response(json.dumps(payment), 201, mimetype="application/json")

    return app
