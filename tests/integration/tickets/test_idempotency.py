"""Idempotency-Key on POST /api/tickets: a retried listing makes one ticket."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from api.tickets.models import Ticket
from common.db import Database
from common.http.idempotency import HEADER, REPLAYED_HEADER
from tests.integration.tickets.conftest import Seller


def tickets_of(db: Database, seller: Seller) -> int:
    with db.transaction() as session:
        count = session.scalar(
            sa.select(sa.func.count()).select_from(Ticket).where(Ticket.seller_id == seller.id)
        )
    return int(count or 0)


def test_a_retried_listing_is_replayed_with_its_location(
    client: FlaskClient, seller: Seller, db: Database
) -> None:
    headers = {**seller.headers, HEADER: "listing-1"}
    body = {"title": "Opera", "price": "35.00"}
    first = client.post("/api/tickets", json=body, headers=headers)
    again = client.post("/api/tickets", json={"price": "35.00", "title": "Opera"}, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers[REPLAYED_HEADER] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert again.json == first.json
    assert tickets_of(db, seller) == 1


def test_another_body_under_the_key_is_a_422(
    client: FlaskClient, seller: Seller, db: Database
) -> None:
    headers = {**seller.headers, HEADER: "listing-2"}
    client.post("/api/tickets", json={"title": "Opera", "price": "35.00"}, headers=headers)
    other = client.post("/api/tickets", json={"title": "Opera", "price": "36.00"}, headers=headers)
    assert other.status_code == 422
    assert other.json["errors"][0]["field"] == HEADER
    assert tickets_of(db, seller) == 1


def test_an_anonymous_request_with_a_key_is_401(client: FlaskClient) -> None:
    response = client.post(
        "/api/tickets", json={"title": "Opera", "price": "35.00"}, headers={HEADER: "anon"}
    )
    assert response.status_code == 401


def test_simultaneous_listings_with_one_key_make_one_ticket(
    app: Flask, seller: Seller, db: Database
) -> None:
    headers = {**seller.headers, HEADER: "race"}
    start = threading.Barrier(6)
    statuses: list[int] = []

    def sell() -> None:
        client = app.test_client()
        start.wait()
        body = {"title": "Opera", "price": "35.00"}
        statuses.append(client.post("/api/tickets", json=body, headers=headers).status_code)

    threads = [threading.Thread(target=sell) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert tickets_of(db, seller) == 1
    assert set(statuses) <= {201, 409}
