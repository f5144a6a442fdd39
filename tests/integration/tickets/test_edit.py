"""Editing a ticket: the seller only, never while an order holds it or bought it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from common.db import Database
from common.events.catalogue import ORDER_COMPLETED, ORDER_CREATED
from tests.integration.tickets.conftest import Seller, deliver, order_event
from workers.consumers import Outcome

Create = Callable[..., dict[str, Any]]


def test_the_seller_changes_title_and_price_and_the_version_goes_up(
    client: FlaskClient, seller: Seller, create_ticket: Create
) -> None:
    ticket = create_ticket("Concert", "20.00")
    response = client.put(
        f"/api/tickets/{ticket['id']}",
        json={"title": "Opera", "price": 35.5},
        headers=seller.headers,
    )
    assert response.status_code == 200
    body = response.json
    assert (body["title"], body["price"], body["version"]) == ("Opera", "35.50", 2)
    assert body["createdAt"] == ticket["createdAt"]
    assert body["updatedAt"] >= ticket["updatedAt"]
    assert client.get(f"/api/tickets/{ticket['id']}").json == body


def test_another_user_may_not_edit_someone_elses_ticket(
    client: FlaskClient, create_ticket: Create, make_user: Callable[[], Seller]
) -> None:
    ticket = create_ticket()
    response = client.put(
        f"/api/tickets/{ticket['id']}",
        json={"title": "Mine", "price": 1},
        headers=make_user().headers,
    )
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert client.get(f"/api/tickets/{ticket['id']}").json["version"] == 1


def test_editing_a_ticket_locked_by_an_order_is_a_conflict_that_says_so(
    client: FlaskClient, seller: Seller, create_ticket: Create, db: Database
) -> None:
    ticket = create_ticket()
    assert deliver(db, order_event(ORDER_CREATED, ticket["id"])) is Outcome.APPLIED
    response = client.put(
        f"/api/tickets/{ticket['id']}", json={"title": "X", "price": 1}, headers=seller.headers
    )
    assert response.status_code == 409
    assert "reserved by an order" in response.json["detail"]


def test_editing_a_sold_ticket_is_a_conflict_that_says_so(
    client: FlaskClient, seller: Seller, create_ticket: Create, db: Database
) -> None:
    ticket = create_ticket()
    order_id = uuid.uuid4()
    deliver(db, order_event(ORDER_CREATED, ticket["id"], order_id))
    deliver(db, order_event(ORDER_COMPLETED, ticket["id"], order_id, version=3))
    response = client.put(
        f"/api/tickets/{ticket['id']}", json={"title": "X", "price": 1}, headers=seller.headers
    )
    assert response.status_code == 409
    assert "sold" in response.json["detail"]


def test_editing_an_unknown_ticket_is_not_found(client: FlaskClient, seller: Seller) -> None:
    response = client.put(
        f"/api/tickets/{uuid.uuid4()}", json={"title": "X", "price": 1}, headers=seller.headers
    )
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_editing_with_an_id_that_is_not_a_uuid_is_a_422_naming_the_id(
    client: FlaskClient, seller: Seller
) -> None:
    response = client.put(
        "/api/tickets/42", json={"title": "X", "price": 1}, headers=seller.headers
    )
    assert response.status_code == 422
    assert response.json["errors"] == [{"message": "Not a valid UUID.", "field": "id"}]
