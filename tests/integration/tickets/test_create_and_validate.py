"""Creating a ticket, and every way its title and price can be wrong (POST and PUT alike)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.integration.tickets.conftest import Seller


def test_creating_a_ticket_returns_it_available_at_version_one(
    client: FlaskClient, seller: Seller
) -> None:
    response = client.post(
        "/api/tickets", json={"title": "Concert", "price": 20}, headers=seller.headers
    )
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"] == f"/api/tickets/{body['id']}"
    assert set(body) == {
        "id",
        "title",
        "price",
        "currency",
        "sellerId",
        "orderId",
        "status",
        "version",
        "createdAt",
        "updatedAt",
    }
    assert body["title"] == "Concert"
    assert body["price"] == "20.00"
    assert body["currency"] == "usd"
    assert body["sellerId"] == str(seller.id)
    assert body["orderId"] is None
    assert body["status"] == "available"
    assert body["version"] == 1
    assert body["createdAt"].endswith("Z")
    assert body["createdAt"] == body["updatedAt"]


@pytest.mark.parametrize(
    ("price", "shown"),
    [
        (20, "20.00"),
        (20.5, "20.50"),
        ("19.99", "19.99"),
        (" 7.1 ", "7.10"),
        ("0.01", "0.01"),
        (1000000, "1000000.00"),
        ("1000000.00", "1000000.00"),
        (0.1, "0.10"),
    ],
)
def test_a_price_may_be_a_number_or_a_decimal_string(
    client: FlaskClient, seller: Seller, price: Any, shown: str
) -> None:
    response = client.post(
        "/api/tickets", json={"title": "T", "price": price}, headers=seller.headers
    )
    assert response.status_code == 201, response.json
    assert response.json["price"] == shown


def test_the_title_is_trimmed(client: FlaskClient, seller: Seller) -> None:
    response = client.post(
        "/api/tickets", json={"title": "  Opera  ", "price": 5}, headers=seller.headers
    )
    assert response.json["title"] == "Opera"


def test_a_title_of_exactly_200_characters_is_accepted(client: FlaskClient, seller: Seller) -> None:
    response = client.post(
        "/api/tickets", json={"title": "x" * 200, "price": 5}, headers=seller.headers
    )
    assert response.status_code == 201


BAD_PRICES = [
    0,
    -1,
    "0",
    "-1",
    1000000.01,
    "1000000.01",
    1.234,
    "1.234",
    "abc",
    "",
    "1e400",
    "NaN",
    "Infinity",
    True,
    False,
    None,
    {"amount": 5},
    [5],
]


@pytest.mark.parametrize("price", BAD_PRICES)
def test_a_bad_price_is_a_422_naming_the_price(
    client: FlaskClient, seller: Seller, price: Any
) -> None:
    response = client.post(
        "/api/tickets", json={"title": "T", "price": price}, headers=seller.headers
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert [e["field"] for e in response.json["errors"]] == ["price"]


@pytest.mark.parametrize("title", ["", "   ", "x" * 201, 5, None, True, ["T"], {"t": 1}])
def test_a_bad_title_is_a_422_naming_the_title(
    client: FlaskClient, seller: Seller, title: Any
) -> None:
    response = client.post(
        "/api/tickets", json={"title": title, "price": 5}, headers=seller.headers
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["title"]


def test_missing_fields_are_each_reported(client: FlaskClient, seller: Seller) -> None:
    response = client.post("/api/tickets", json={}, headers=seller.headers)
    assert response.status_code == 422
    assert {e["field"] for e in response.json["errors"]} == {"title", "price"}


def test_every_bad_field_gets_its_own_entry_including_unknown_ones(
    client: FlaskClient, seller: Seller
) -> None:
    response = client.post(
        "/api/tickets", json={"title": "", "price": "1.234", "sold": True}, headers=seller.headers
    )
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json["errors"]) == ["price", "sold", "title"]


def test_the_price_messages_say_what_is_wrong(client: FlaskClient, seller: Seller) -> None:
    messages = {}
    for price in (0, 1000000.01, "1.234", "abc"):
        response = client.post(
            "/api/tickets", json={"title": "T", "price": price}, headers=seller.headers
        )
        messages[price] = response.json["errors"][0]["message"]
    assert "greater than 0" in messages[0]
    assert "1000000.00" in messages[1000000.01]
    assert "two decimal places" in messages["1.234"]
    assert "number" in messages["abc"]


def test_a_body_that_is_not_json_is_refused(client: FlaskClient, seller: Seller) -> None:
    response = client.post(
        "/api/tickets",
        data="title=T",
        headers=seller.headers,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415
    broken = client.post(
        "/api/tickets", data="{", headers=seller.headers, content_type="application/json"
    )
    assert broken.status_code == 400


def test_editing_validates_title_and_price_the_same_way(
    client: FlaskClient, seller: Seller, create_ticket: Callable[..., dict[str, Any]]
) -> None:
    ticket = create_ticket()
    response = client.put(
        f"/api/tickets/{ticket['id']}",
        json={"title": "x" * 201, "price": None, "extra": 1},
        headers=seller.headers,
    )
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json["errors"]) == ["extra", "price", "title"]
    missing = client.put(
        f"/api/tickets/{ticket['id']}", json={"title": "T"}, headers=seller.headers
    )
    assert [e["field"] for e in missing.json["errors"]] == ["price"]
