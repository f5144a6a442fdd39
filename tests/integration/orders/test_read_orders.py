"""GET /api/orders (mine, newest first, paginated) and GET /api/orders/{id}."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask.testing import FlaskClient

from common.clock import FrozenClock
from tests.integration.orders.conftest import order_ticket

Auth = Callable[[uuid.UUID], dict[str, str]]


def test_a_buyer_without_orders_gets_an_empty_last_page(client: FlaskClient, auth: Auth) -> None:
    response = client.get("/api/orders", headers=auth(uuid.uuid4()))
    assert response.status_code == 200
    assert response.json == {"items": [], "nextCursor": None}


def test_orders_are_listed_newest_first_one_page_at_a_time(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
    clock: FrozenClock,
) -> None:
    headers = auth(uuid.uuid4())
    made = []
    for _ in range(5):
        made.append(order_ticket(client, headers, seed_ticket())["id"])
        clock.advance(1)
    pages, cursor = [], None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(f"/api/orders?{query}", headers=headers).json
        pages.append([o["id"] for o in body["items"]])
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert pages == [made[4:2:-1], made[2:0:-1], made[:1]]


def test_orders_made_in_the_same_instant_are_neither_lost_nor_repeated_across_pages(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
) -> None:
    headers = auth(uuid.uuid4())
    made = {order_ticket(client, headers, seed_ticket())["id"] for _ in range(7)}
    first = client.get("/api/orders?limit=3", headers=headers).json
    second = client.get(f"/api/orders?limit=3&cursor={first['nextCursor']}", headers=headers).json
    third = client.get(f"/api/orders?limit=3&cursor={second['nextCursor']}", headers=headers).json
    seen = [o["id"] for page in (first, second, third) for o in page["items"]]
    assert len(seen) == 7
    assert set(seen) == made
    assert third["nextCursor"] is None


def test_the_default_page_holds_twenty_orders(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
) -> None:
    headers = auth(uuid.uuid4())
    for _ in range(21):
        order_ticket(client, headers, seed_ticket())
    body = client.get("/api/orders", headers=headers).json
    assert len(body["items"]) == 20
    assert body["nextCursor"]


def test_a_buyer_reads_one_of_their_orders(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
) -> None:
    headers = auth(uuid.uuid4())
    created = order_ticket(client, headers, seed_ticket())
    response = client.get(f"/api/orders/{created['id']}", headers=headers)
    assert response.status_code == 200
    body = dict(response.json)
    assert [entry["step"] for entry in body.pop("timeline")] == ["reserve", "await_payment"]
    assert body == created
