"""Every change records its event in the outbox, in the same transaction, with its version."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from common.db import Database
from common.events.catalogue import ORDER_CREATED, TICKET_CREATED, TICKET_UPDATED
from tests.integration.tickets.conftest import Seller, deliver, order_event, outbox_rows


def test_creating_records_tickets_created_with_the_full_snapshot(
    client: FlaskClient,
    seller: Seller,
    create_ticket: Callable[..., dict[str, Any]],
    db: Database,
) -> None:
    ticket = create_ticket("Concert", "20.00")
    [row] = outbox_rows(db, ticket["id"])
    assert row["type"] == TICKET_CREATED
    assert row["data"] == {
        "id": ticket["id"],
        "version": 1,
        "title": "Concert",
        "priceCents": 2000,
        "currency": "usd",
        "sellerId": str(seller.id),
        "orderId": None,
        "sold": False,
    }
    assert isinstance(row["id"], uuid.UUID)
    assert row["occurred_at"].tzinfo is not None


def test_the_request_id_travels_as_the_correlation_id(
    client: FlaskClient, seller: Seller, db: Database
) -> None:
    response = client.post(
        "/api/tickets",
        json={"title": "T", "price": 1},
        headers={**seller.headers, "X-Request-Id": "req-123"},
    )
    [row] = outbox_rows(db, response.json["id"])
    assert row["correlation_id"] == "req-123"


def test_each_edit_and_lock_records_tickets_updated_with_the_next_version(
    client: FlaskClient,
    seller: Seller,
    create_ticket: Callable[..., dict[str, Any]],
    db: Database,
) -> None:
    ticket = create_ticket("Concert", "20.00")
    client.put(
        f"/api/tickets/{ticket['id']}",
        json={"title": "Opera", "price": "25"},
        headers=seller.headers,
    )
    order_id = uuid.uuid4()
    deliver(db, order_event(ORDER_CREATED, ticket["id"], order_id, price_cents=2500))
    rows = outbox_rows(db, ticket["id"])
    assert [(r["type"], r["data"]["version"]) for r in rows] == [
        (TICKET_CREATED, 1),
        (TICKET_UPDATED, 2),
        (TICKET_UPDATED, 3),
    ]
    assert rows[1]["data"]["title"] == "Opera"
    assert rows[1]["data"]["priceCents"] == 2500
    assert rows[2]["data"]["orderId"] == str(order_id)
    assert len({r["id"] for r in rows}) == 3


def test_refused_edits_record_nothing(
    client: FlaskClient,
    create_ticket: Callable[..., dict[str, Any]],
    db: Database,
    make_user: Callable[[], Seller],
) -> None:
    ticket = create_ticket()
    client.put(
        f"/api/tickets/{ticket['id']}", json={"title": "X", "price": 1}, headers=make_user().headers
    )
    client.put(
        f"/api/tickets/{ticket['id']}", json={"title": "", "price": 1}, headers=make_user().headers
    )
    assert [r["type"] for r in outbox_rows(db, ticket["id"])] == [TICKET_CREATED]
