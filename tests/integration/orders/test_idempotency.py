"""Idempotency-Key on POST /api/orders and cancel: replays, mismatches, in-flight, races."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from api.orders.models import Order
from common.db import Database
from common.http.idempotency import (
    HEADER,
    KEEP_SECONDS,
    REPLAYED_HEADER,
    fingerprint_of_request,
    store_of,
)

Auth = Callable[[uuid.UUID], dict[str, str]]


def orders_of(db: Database, ticket_id: uuid.UUID) -> int:
    with db.transaction() as session:
        return int(
            session.scalar(
                sa.select(sa.func.count()).select_from(Order).where(Order.ticket_id == ticket_id)
            )
            or 0
        )


def test_a_retry_with_the_same_key_and_body_replays_the_first_answer(
    client: FlaskClient, seed_ticket: Callable[..., uuid.UUID], auth: Auth, db: Database
) -> None:
    buyer = uuid.uuid4()
    ticket_id = seed_ticket()
    headers = {**auth(buyer), HEADER: "order-1"}
    first = client.post("/api/orders", json={"ticketId": str(ticket_id)}, headers=headers)
    again = client.post("/api/orders", json={"ticketId": str(ticket_id)}, headers=headers)

    assert first.status_code == 201
    assert REPLAYED_HEADER not in first.headers
    assert again.status_code == 201
    assert again.headers[REPLAYED_HEADER] == "true"
    assert again.json == first.json
    assert orders_of(db, ticket_id) == 1


def test_without_a_key_a_second_order_of_the_ticket_is_a_conflict(
    client: FlaskClient, seed_ticket: Callable[..., uuid.UUID], auth: Auth
) -> None:
    ticket_id = seed_ticket()
    headers = auth(uuid.uuid4())
    client.post("/api/orders", json={"ticketId": str(ticket_id)}, headers=headers)
    again = client.post("/api/orders", json={"ticketId": str(ticket_id)}, headers=headers)
    assert again.status_code == 409
    assert REPLAYED_HEADER not in again.headers


def test_the_same_key_with_another_body_is_refused_with_422(
    client: FlaskClient, seed_ticket: Callable[..., uuid.UUID], auth: Auth, db: Database
) -> None:
    headers = {**auth(uuid.uuid4()), HEADER: "order-2"}
    first_ticket, other_ticket = seed_ticket(), seed_ticket()
    client.post("/api/orders", json={"ticketId": str(first_ticket)}, headers=headers)
    other = client.post("/api/orders", json={"ticketId": str(other_ticket)}, headers=headers)

    assert other.status_code == 422
    assert other.mimetype == "application/problem+json"
    assert "different request" in other.json["errors"][0]["message"]
    assert orders_of(db, other_ticket) == 0


def test_a_key_whose_first_request_is_still_running_gets_409(
    app: Flask, client: FlaskClient, seed_ticket: Callable[..., uuid.UUID], auth: Auth
) -> None:
    buyer = uuid.uuid4()
    ticket_id = seed_ticket()
    body = {"ticketId": str(ticket_id)}
    with app.test_request_context("/api/orders", method="POST", json=body):
        fingerprint = fingerprint_of_request()
    store_of(app).claim(str(buyer), "order-3", fingerprint)  # as a request in progress does

    response = client.post("/api/orders", json=body, headers={**auth(buyer), HEADER: "order-3"})

    assert response.status_code == 409
    assert "still in progress" in response.json["errors"][0]["message"]


def test_keys_are_scoped_to_the_caller(
    client: FlaskClient, seed_ticket: Callable[..., uuid.UUID], auth: Auth
) -> None:
    first_ticket, second_ticket = seed_ticket(), seed_ticket()
    ann = client.post(
        "/api/orders",
        json={"ticketId": str(first_ticket)},
        headers={**auth(uuid.uuid4()), HEADER: "shared"},
    )
    bob = client.post(
        "/api/orders",
        json={"ticketId": str(second_ticket)},
        headers={**auth(uuid.uuid4()), HEADER: "shared"},
    )
    assert (ann.status_code, bob.status_code) == (201, 201)
    assert REPLAYED_HEADER not in bob.headers


def test_kept_answers_expire_after_24_hours(
    client: FlaskClient, seed_ticket: Callable[..., uuid.UUID], auth: Auth, redis_url: str
) -> None:
    buyer = uuid.uuid4()
    client.post(
        "/api/orders",
        json={"ticketId": str(seed_ticket())},
        headers={**auth(buyer), HEADER: "order-4"},
    )
    connection = redis.Redis.from_url(redis_url)
    [key] = connection.keys(f"idempotency:orders:{buyer}:order-4")
    assert KEEP_SECONDS - 60 < connection.ttl(key) <= KEEP_SECONDS
    connection.close()


def test_a_refused_request_is_not_kept_so_a_corrected_retry_runs(
    client: FlaskClient, seed_ticket: Callable[..., uuid.UUID], auth: Auth
) -> None:
    headers = {**auth(uuid.uuid4()), HEADER: "order-5"}
    unknown = client.post("/api/orders", json={"ticketId": "nope"}, headers=headers)
    assert unknown.status_code == 422
    ticket_id = seed_ticket()
    fixed = client.post("/api/orders", json={"ticketId": str(ticket_id)}, headers=headers)
    assert fixed.status_code == 201
    assert REPLAYED_HEADER not in fixed.headers


def test_a_malformed_key_is_a_400(
    client: FlaskClient, seed_ticket: Callable[..., uuid.UUID], auth: Auth
) -> None:
    response = client.post(
        "/api/orders",
        json={"ticketId": str(seed_ticket())},
        headers={**auth(uuid.uuid4()), HEADER: "x" * 256},
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_simultaneous_requests_with_one_key_create_one_order(
    app: Flask, seed_ticket: Callable[..., uuid.UUID], auth: Auth, db: Database
) -> None:
    buyer = uuid.uuid4()
    ticket_id = seed_ticket()
    headers = {**auth(buyer), HEADER: "race"}
    start = threading.Barrier(8)
    answers: list[tuple[int, str | None]] = []

    def order() -> None:
        client = app.test_client()
        start.wait()
        response = client.post("/api/orders", json={"ticketId": str(ticket_id)}, headers=headers)
        answers.append((response.status_code, response.headers.get(REPLAYED_HEADER)))

    threads = [threading.Thread(target=order) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert orders_of(db, ticket_id) == 1
    assert [a for a in answers if a == (201, None)] == [(201, None)]
    assert all(a in {(201, "true"), (409, None)} for a in answers if a != (201, None))


def test_cancel_is_idempotent_too(
    client: FlaskClient, seed_ticket: Callable[..., uuid.UUID], auth: Auth
) -> None:
    buyer = uuid.uuid4()
    order = client.post(
        "/api/orders", json={"ticketId": str(seed_ticket())}, headers=auth(buyer)
    ).json
    headers = {**auth(buyer), HEADER: "cancel-1"}
    first = client.post(f"/api/orders/{order['id']}/cancel", headers=headers)
    again = client.post(f"/api/orders/{order['id']}/cancel", headers=headers)
    assert first.status_code == 200
    assert again.status_code == 200
    assert again.headers[REPLAYED_HEADER] == "true"
    assert again.json == first.json


def test_the_spec_documents_the_header_on_every_creating_post(client: FlaskClient) -> None:
    paths = client.get("/api/orders/openapi.json").json["paths"]
    for path in ("/api/orders", "/api/orders/{order_id}/cancel"):
        post = paths[path]["post"]
        assert HEADER in [p["name"] for p in post["parameters"]]
        assert {"409", "422"} <= set(post["responses"])
