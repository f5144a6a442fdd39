"""Showing one ticket, the public list, a seller's tickets and my tickets, page by page."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from common.db import Database
from common.events.catalogue import ORDER_COMPLETED, ORDER_CREATED
from common.pagination import Cursor
from tests.integration.tickets.conftest import Seller, deliver, order_event

Create = Callable[..., dict[str, Any]]


def test_anyone_can_show_a_ticket(client: FlaskClient, create_ticket: Create) -> None:
    ticket = create_ticket()
    response = client.get(f"/api/tickets/{ticket['id']}")
    assert response.status_code == 200
    assert response.json == ticket


def test_showing_an_unknown_ticket_is_not_found(client: FlaskClient) -> None:
    response = client.get(f"/api/tickets/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json["detail"] == "No ticket with this id."


def test_showing_a_ticket_by_a_bad_id_is_a_422_naming_the_id(client: FlaskClient) -> None:
    response = client.get("/api/tickets/not-a-uuid")
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "id"


def test_a_locked_ticket_shows_its_order_and_status(
    client: FlaskClient, create_ticket: Create, db: Database
) -> None:
    ticket = create_ticket()
    order_id = uuid.uuid4()
    deliver(db, order_event(ORDER_CREATED, ticket["id"], order_id))
    shown = client.get(f"/api/tickets/{ticket['id']}").json
    assert (shown["status"], shown["orderId"], shown["version"]) == ("locked", str(order_id), 2)


def test_the_list_shows_only_available_tickets_newest_first(
    client: FlaskClient, create_ticket: Create, db: Database
) -> None:
    first, locked, sold, last = (create_ticket(f"T{i}") for i in range(4))
    deliver(db, order_event(ORDER_CREATED, locked["id"]))
    order_id = uuid.uuid4()
    deliver(db, order_event(ORDER_CREATED, sold["id"], order_id))
    deliver(db, order_event(ORDER_COMPLETED, sold["id"], order_id, version=3))
    response = client.get("/api/tickets")
    assert response.status_code == 200
    assert [t["id"] for t in response.json["items"]] == [last["id"], first["id"]]
    assert response.json["nextCursor"] is None


def test_the_list_is_empty_with_no_tickets(client: FlaskClient) -> None:
    assert client.get("/api/tickets").json == {"items": [], "nextCursor": None}


def test_walking_the_cursor_visits_every_ticket_once_newest_first(
    client: FlaskClient, create_ticket: Create
) -> None:
    created = [create_ticket(f"T{i}")["id"] for i in range(7)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/tickets", query_string=query).json
        assert len(body["items"]) <= 3
        seen += [t["id"] for t in body["items"]]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert seen == created[::-1]
    assert pages == 3


def test_the_default_page_holds_twenty_tickets(client: FlaskClient, create_ticket: Create) -> None:
    for i in range(21):
        create_ticket(f"T{i}")
    body = client.get("/api/tickets").json
    assert len(body["items"]) == 20
    assert body["nextCursor"] is not None
    rest = client.get("/api/tickets", query_string={"cursor": body["nextCursor"]}).json
    assert len(rest["items"]) == 1
    assert rest["nextCursor"] is None


def test_a_page_of_exactly_the_remaining_tickets_has_no_next_cursor(
    client: FlaskClient, create_ticket: Create
) -> None:
    for i in range(2):
        create_ticket(f"T{i}")
    assert client.get("/api/tickets?limit=2").json["nextCursor"] is None


def test_tickets_created_in_the_same_instant_are_paged_without_loss(
    client: FlaskClient, create_ticket: Create, db: Database
) -> None:
    ids = [create_ticket(f"T{i}")["id"] for i in range(5)]
    with db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE tickets SET created_at = '2026-01-01T00:00:00Z'")
    first = client.get("/api/tickets?limit=2").json
    second = client.get(
        "/api/tickets", query_string={"limit": 2, "cursor": first["nextCursor"]}
    ).json
    third = client.get(
        "/api/tickets", query_string={"limit": 2, "cursor": second["nextCursor"]}
    ).json
    seen = [t["id"] for page in (first, second, third) for t in page["items"]]
    assert sorted(seen) == sorted(ids)
    assert seen == sorted(ids, reverse=True)


def test_a_seller_filter_shows_that_sellers_tickets_in_every_status(
    client: FlaskClient, create_ticket: Create, db: Database, make_user: Callable[[], Seller]
) -> None:
    other = make_user()
    mine_available = create_ticket("Mine")
    mine_locked = create_ticket("Mine too")
    create_ticket("Theirs", owner=other)
    deliver(db, order_event(ORDER_CREATED, mine_locked["id"]))
    seller_id = mine_available["sellerId"]
    body = client.get("/api/tickets", query_string={"sellerId": seller_id}).json
    assert [(t["id"], t["status"]) for t in body["items"]] == [
        (mine_locked["id"], "locked"),
        (mine_available["id"], "available"),
    ]


def test_my_tickets_lists_all_of_mine_in_every_status_and_nobody_elses(
    client: FlaskClient,
    seller: Seller,
    create_ticket: Create,
    db: Database,
    make_user: Callable[[], Seller],
) -> None:
    other = make_user()
    create_ticket("Theirs", owner=other)
    mine = [create_ticket(f"Mine {i}")["id"] for i in range(3)]
    deliver(db, order_event(ORDER_CREATED, mine[0]))
    first = client.get("/api/tickets/mine?limit=2", headers=seller.headers).json
    rest = client.get(
        "/api/tickets/mine", query_string={"cursor": first["nextCursor"]}, headers=seller.headers
    ).json
    assert [t["id"] for t in first["items"] + rest["items"]] == mine[::-1]
    assert rest["nextCursor"] is None


def test_my_tickets_needs_a_signed_in_user(client: FlaskClient) -> None:
    response = client.get("/api/tickets/mine")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": -5}, "limit"),
        ({"cursor": "not a cursor"}, "cursor"),
        ({"cursor": "eyJjIjogMX0"}, "cursor"),
        ({"sellerId": "bob"}, "sellerId"),
    ],
)
def test_bad_list_parameters_are_a_422_naming_the_parameter(
    client: FlaskClient, query: dict[str, Any], field: str
) -> None:
    response = client.get("/api/tickets", query_string=query)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == [field]


def test_every_bad_list_parameter_is_reported(client: FlaskClient, seller: Seller) -> None:
    response = client.get("/api/tickets?limit=0&cursor=zz&sellerId=x")
    assert {e["field"] for e in response.json["errors"]} == {"limit", "cursor", "sellerId"}
    mine = client.get("/api/tickets/mine?limit=1000", headers=seller.headers)
    assert [e["field"] for e in mine.json["errors"]] == ["limit"]


def test_a_limit_of_one_hundred_is_allowed(client: FlaskClient) -> None:
    assert client.get("/api/tickets?limit=100").status_code == 200


def test_a_cursor_round_trips_and_refuses_naive_times() -> None:
    cursor = Cursor(datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), uuid.uuid4())
    assert Cursor.decode(cursor.encode()) == cursor
    naive = Cursor(datetime(2026, 1, 2), uuid.uuid4()).encode()
    with pytest.raises(ValueError, match="cursor"):
        Cursor.decode(naive)
