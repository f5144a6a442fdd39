"""Who may call what: anonymous reads, signed-in writes, cookies need the CSRF header."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

TICKET = {"title": "Concert", "price": "20.00"}


def test_creating_without_a_token_is_401_even_with_a_bad_body(client: FlaskClient) -> None:
    response = client.post("/api/tickets", json={"title": "", "price": True})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_editing_without_a_token_is_401(client: FlaskClient) -> None:
    response = client.put(f"/api/tickets/{uuid.uuid4()}", json=TICKET)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "claims",
    [
        {"expires_in": -60},
        {"token_type": "refresh"},
        {"iss": "someone-else"},
    ],
)
def test_expired_refresh_or_foreign_tokens_are_401(
    client: FlaskClient, issue_token: Callable[..., str], claims: dict[str, Any]
) -> None:
    token = issue_token(uuid.uuid4(), **claims)
    response = client.post(
        "/api/tickets", json=TICKET, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


def test_a_token_signed_with_another_key_is_401(client: FlaskClient) -> None:
    import jwt

    forged = jwt.encode(
        {"sub": str(uuid.uuid4()), "type": "access", "iss": "ticketing"},
        "a-secret-that-is-not-the-services-key-at-all",
        algorithm="HS256",
    )
    response = client.post(
        "/api/tickets", json=TICKET, headers={"Authorization": f"Bearer {forged}"}
    )
    assert response.status_code == 401


def test_a_session_cookie_without_the_csrf_header_is_401(
    client: FlaskClient, issue_token: Callable[..., str]
) -> None:
    client.set_cookie("access_token_cookie", issue_token(uuid.uuid4(), csrf="csrf-1"))
    client.set_cookie("csrf_access_token", "csrf-1")
    response = client.post("/api/tickets", json=TICKET)
    assert response.status_code == 401
    assert "CSRF" in response.json["detail"]


def test_a_session_cookie_with_the_matching_csrf_header_may_create(
    client: FlaskClient, issue_token: Callable[..., str]
) -> None:
    user_id = uuid.uuid4()
    client.set_cookie("access_token_cookie", issue_token(user_id, csrf="csrf-2"))
    client.set_cookie("csrf_access_token", "csrf-2")
    response = client.post("/api/tickets", json=TICKET, headers={"X-CSRF-Token": "csrf-2"})
    assert response.status_code == 201
    assert response.json["sellerId"] == str(user_id)


def test_a_session_cookie_reads_my_tickets_without_a_csrf_header(
    client: FlaskClient, issue_token: Callable[..., str]
) -> None:
    client.set_cookie("access_token_cookie", issue_token(uuid.uuid4(), csrf="csrf-3"))
    assert client.get("/api/tickets/mine").status_code == 200


def test_reading_tickets_needs_no_token(client: FlaskClient) -> None:
    assert client.get("/api/tickets").status_code == 200
