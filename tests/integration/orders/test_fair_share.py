"""A fair share of an on-sale: the live-order cap (under concurrency) and the attempt limits.

Every rule runs against the test Redis and against the Redis `make up` embeds (6.2).
"""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from api.orders.models import Order
from api.orders.state import UNPAID_STATUSES
from common.db import Database
from tests.integration.orders.conftest import order_ticket

Auth = Callable[[uuid.UUID], dict[str, str]]
CAP_DETAIL = (
    "You already hold 2 unpaid orders, the most one buyer may hold at once. "
    "Pay for or cancel one to reserve another ticket."
)


@pytest.fixture
def on_sale(make_app: Callable[..., Flask], every_redis_url: str) -> Callable[..., Flask]:
    """An orders app with the on-sale rules on (no line), on the chosen Redis."""

    def make(**rules: str) -> Flask:
        settings = {
            "REDIS_URL": every_redis_url,
            "ORDERS_MAX_LIVE_PER_BUYER": "2",
            "ORDERS_ATTEMPTS_PER_BUYER": "0",
            "ORDERS_ATTEMPTS_PER_ADDRESS": "0",
            **rules,
        }
        return make_app(**settings)

    return make


def post(client: FlaskClient, headers: dict[str, str], ticket_id: uuid.UUID) -> Any:
    return client.post("/api/orders", json={"ticketId": str(ticket_id)}, headers=headers)


def test_a_buyer_at_the_cap_gets_429_saying_why_and_when_a_slot_frees(
    on_sale: Callable[..., Flask], seed_ticket: Callable[..., uuid.UUID], auth: Auth
) -> None:
    client, headers = on_sale().test_client(), auth(uuid.uuid4())
    order_ticket(client, headers, seed_ticket())
    order_ticket(client, headers, seed_ticket())

    refused = post(client, headers, seed_ticket())

    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.json["detail"] == CAP_DETAIL
    # The frozen clock: the first order expires in ORDER_EXPIRATION_SECONDS (900).
    assert refused.headers["Retry-After"] == "900"


def test_cancelling_an_order_frees_a_slot_and_other_buyers_are_not_held_back(
    on_sale: Callable[..., Flask], seed_ticket: Callable[..., uuid.UUID], auth: Auth
) -> None:
    client, headers = on_sale().test_client(), auth(uuid.uuid4())
    first = order_ticket(client, headers, seed_ticket())
    order_ticket(client, headers, seed_ticket())
    assert post(client, auth(uuid.uuid4()), seed_ticket()).status_code == 201

    cancelled = client.post(f"/api/orders/{first['id']}/cancel", headers=headers)

    assert cancelled.status_code == 200
    assert post(client, headers, seed_ticket()).status_code == 201


@pytest.fixture
def server(on_sale: Callable[..., Flask]) -> Iterator[tuple[str, int]]:
    """The capped orders app under a real threaded WSGI server."""
    httpd = make_server("127.0.0.1", 0, on_sale(), threaded=True)
    httpd.socket.listen(64)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", httpd.server_port
    httpd.shutdown()
    thread.join(10)


def post_order(address: tuple[str, int], token: str, ticket_id: uuid.UUID) -> int:
    connection = http.client.HTTPConnection(*address, timeout=60)
    try:
        connection.request(
            "POST",
            "/api/orders",
            body=json.dumps({"ticketId": str(ticket_id)}),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        return connection.getresponse().status
    finally:
        connection.close()


def simultaneously(calls: list[Callable[[], int]]) -> Counter[int]:
    barrier, results, lock = threading.Barrier(len(calls)), Counter[int](), threading.Lock()

    def run(call: Callable[[], int]) -> None:
        barrier.wait(30)
        status = call()
        with lock:
            results[status] += 1

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def unpaid_of(db: Database, buyer: uuid.UUID) -> int:
    with db.transaction() as session:
        return (
            session.query(Order)
            .filter(Order.user_id == buyer, Order.status.in_(UNPAID_STATUSES))
            .count()
        )


@pytest.mark.parametrize("every_redis_url", ["redis-7"], indirect=True)
def test_simultaneous_attempts_of_a_buyer_at_the_cap_let_exactly_the_cap_through(
    server: tuple[str, int],
    seed_ticket: Callable[..., uuid.UUID],
    issue_token: Callable[..., str],
    db: Database,
) -> None:
    for _ in range(6):
        buyer = uuid.uuid4()
        token = issue_token(buyer)
        held = seed_ticket()
        assert post_order(server, token, held) == 201  # one slot of two left
        tickets = [seed_ticket() for _ in range(8)]

        statuses = simultaneously(
            [lambda t=ticket, k=token: post_order(server, k, t) for ticket in tickets]
        )

        assert statuses == {201: 1, 429: 7}
        assert unpaid_of(db, buyer) == 2


def test_a_buyer_trying_too_often_gets_429_with_retry_after(
    on_sale: Callable[..., Flask], seed_ticket: Callable[..., uuid.UUID], auth: Auth
) -> None:
    client = on_sale(ORDERS_MAX_LIVE_PER_BUYER="0", ORDERS_ATTEMPTS_PER_BUYER="3").test_client()
    headers, ticket = auth(uuid.uuid4()), seed_ticket()
    statuses = [post(client, headers, ticket).status_code for _ in range(3)]

    refused = post(client, headers, ticket)

    assert statuses == [201, 409, 409]  # the 2nd and 3rd: already reserved (by themselves)
    assert refused.status_code == 429
    assert refused.json["detail"] == "Too many reservation attempts; try again in a few seconds."
    assert 1 <= int(refused.headers["Retry-After"]) <= 10
    assert post(client, auth(uuid.uuid4()), seed_ticket()).status_code == 201


def test_one_address_trying_too_often_gets_429_whoever_signs_in(
    on_sale: Callable[..., Flask], seed_ticket: Callable[..., uuid.UUID], auth: Auth
) -> None:
    client = on_sale(ORDERS_ATTEMPTS_PER_ADDRESS="3").test_client()
    bot = {"REMOTE_ADDR": "203.0.113.9"}
    statuses = [
        client.post(
            "/api/orders",
            json={"ticketId": str(seed_ticket())},
            headers=auth(uuid.uuid4()),
            environ_base=bot,
        ).status_code
        for _ in range(4)
    ]
    elsewhere = client.post(
        "/api/orders",
        json={"ticketId": str(seed_ticket())},
        headers=auth(uuid.uuid4()),
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )

    assert statuses == [201, 201, 201, 429]
    assert elsewhere.status_code == 201
