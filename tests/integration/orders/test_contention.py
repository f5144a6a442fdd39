"""Many buyers, one ticket, a real WSGI server: the database lets exactly one through."""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from api.orders.models import Order
from common.db import Database

BUYERS = 50
ROUNDS = 20


@pytest.fixture
def server(app: Flask) -> Iterator[tuple[str, int]]:
    """The orders app served by werkzeug, one thread per connection."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    httpd.socket.listen(BUYERS * 2)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", httpd.server_port
    httpd.shutdown()
    thread.join(10)


def post_order(address: tuple[str, int], token: str, ticket_id: uuid.UUID) -> tuple[int, str]:
    connection = http.client.HTTPConnection(*address, timeout=60)
    try:
        connection.request(
            "POST",
            "/api/orders",
            body=json.dumps({"ticketId": str(ticket_id)}),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read()).get("detail", "")
    finally:
        connection.close()


def test_fifty_concurrent_buyers_of_one_ticket_get_one_order_and_49_conflicts(
    server: tuple[str, int],
    seed_ticket: Callable[..., uuid.UUID],
    issue_token: Callable[..., str],
    db: Database,
) -> None:
    tokens = [issue_token(uuid.uuid4()) for _ in range(BUYERS)]
    for _ in range(ROUNDS):
        ticket_id = seed_ticket()
        barrier = threading.Barrier(BUYERS)
        results: list[tuple[int, str]] = []
        lock = threading.Lock()

        def buy(
            token: str,
            gate: threading.Barrier = barrier,
            tid: uuid.UUID = ticket_id,
            out: list[tuple[int, str]] = results,
            guard: threading.Lock = lock,
        ) -> None:
            gate.wait(30)
            try:
                result = post_order(server, token, tid)
            except OSError as exc:
                result = (0, repr(exc))
            with guard:
                out.append(result)

        threads = [threading.Thread(target=buy, args=(token,)) for token in tokens]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        statuses = Counter(status for status, _ in results)
        odd = [result for result in results if result[0] not in (201, 409)]
        assert statuses == {201: 1, 409: BUYERS - 1}, odd
        assert {detail for status, detail in results if status == 409} == {
            "The ticket is reserved by another order."
        }
        with db.transaction() as session:
            live = session.query(Order).filter(Order.ticket_id == ticket_id).count()
        assert live == 1
