"""Malformed ids, missing fields, wrong types and bodies that are not JSON objects."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

Auth = Callable[[uuid.UUID], dict[str, str]]


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.json
    assert body["status"] == status
    return body


@pytest.mark.parametrize("ticket_id", ["not-a-uuid", "1234", "", 123, 1.5, True, None, [], {}])
def test_a_ticket_id_that_is_not_a_uuid_is_unprocessable(
    client: FlaskClient, auth: Auth, ticket_id: Any
) -> None:
    body = assert_problem(
        client.post("/api/orders", json={"ticketId": ticket_id}, headers=auth(uuid.uuid4())), 422
    )
    assert [e["field"] for e in body["errors"]] == ["ticketId"]


def test_a_missing_ticket_id_is_unprocessable(client: FlaskClient, auth: Auth) -> None:
    body = assert_problem(client.post("/api/orders", json={}, headers=auth(uuid.uuid4())), 422)
    assert body["errors"] == [{"message": "Missing data for required field.", "field": "ticketId"}]


def test_unknown_fields_are_refused(client: FlaskClient, auth: Auth) -> None:
    body = assert_problem(
        client.post(
            "/api/orders",
            json={"ticketId": str(uuid.uuid4()), "price": "0.01"},
            headers=auth(uuid.uuid4()),
        ),
        422,
    )
    assert [e["field"] for e in body["errors"]] == ["price"]


def test_an_empty_post_is_unprocessable(client: FlaskClient, auth: Auth) -> None:
    assert_problem(client.post("/api/orders", headers=auth(uuid.uuid4())), 422)


def test_a_body_that_is_not_json_is_unsupported(client: FlaskClient, auth: Auth) -> None:
    assert_problem(
        client.post(
            "/api/orders",
            data="ticketId=x",
            content_type="application/x-www-form-urlencoded",
            headers=auth(uuid.uuid4()),
        ),
        415,
    )


@pytest.mark.parametrize("raw", ["{", "[]", '"ticket"', "null"])
def test_broken_json_or_a_non_object_is_a_bad_request(
    client: FlaskClient, auth: Auth, raw: str
) -> None:
    assert_problem(
        client.post(
            "/api/orders", data=raw, content_type="application/json", headers=auth(uuid.uuid4())
        ),
        400,
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/orders/not-a-uuid",
        "/api/orders/123",
        "/api/orders/not-a-uuid/cancel",
    ],
)
def test_a_malformed_order_id_in_the_path_is_not_found(
    client: FlaskClient, auth: Auth, path: str
) -> None:
    method = client.post if path.endswith("/cancel") else client.get
    assert_problem(method(path, headers=auth(uuid.uuid4())), 404)


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "limit=ten", "limit=-1", "cursor=garbage", "cursor=" + "a" * 201],
)
def test_bad_list_arguments_are_unprocessable(client: FlaskClient, auth: Auth, query: str) -> None:
    body = assert_problem(client.get(f"/api/orders?{query}", headers=auth(uuid.uuid4())), 422)
    assert body["errors"][0]["field"] == query.split("=")[0]


def test_a_wrong_method_is_a_problem_too(client: FlaskClient, auth: Auth) -> None:
    assert_problem(client.delete("/api/orders", headers=auth(uuid.uuid4())), 405)
