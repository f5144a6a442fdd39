"""Who may see and touch which orders: tokens, cookies with CSRF, ownership."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.integration.orders.conftest import order_ticket

Auth = Callable[[uuid.UUID], dict[str, str]]
ANY_ID = "00000000-0000-4000-8000-000000000000"
ROUTES = [
    ("get", "/api/orders"),
    ("post", "/api/orders"),
    ("get", f"/api/orders/{ANY_ID}"),
    ("post", f"/api/orders/{ANY_ID}/cancel"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_needs_a_signed_in_user(client: FlaskClient, method: str, path: str) -> None:
    kwargs = {"json": {"ticketId": ANY_ID}} if path == "/api/orders" and method == "post" else {}
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("token", ["not.a.jwt", "Bearer", ""])
def test_a_forged_or_empty_bearer_token_is_refused(client: FlaskClient, token: str) -> None:
    response = client.get("/api/orders", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_an_expired_token_is_refused(client: FlaskClient, issue_token: Callable[..., str]) -> None:
    token = issue_token(uuid.uuid4(), expires_in=-60)
    response = client.get("/api/orders", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json["detail"] == "The token has expired."


def test_a_refresh_token_is_not_an_access_token(
    client: FlaskClient, issue_token: Callable[..., str]
) -> None:
    token = issue_token(uuid.uuid4(), token_type="refresh")
    response = client.get("/api/orders", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_a_cookie_session_must_echo_the_csrf_token_to_order(
    client: FlaskClient,
    issue_token: Callable[..., str],
    seed_ticket: Callable[..., uuid.UUID],
) -> None:
    csrf = str(uuid.uuid4())
    client.set_cookie("access_token_cookie", issue_token(uuid.uuid4(), csrf=csrf))
    ticket_id = str(seed_ticket())
    refused = client.post("/api/orders", json={"ticketId": ticket_id})
    assert refused.status_code == 401
    assert "CSRF" in refused.json["detail"]
    wrong = client.post(
        "/api/orders", json={"ticketId": ticket_id}, headers={"X-CSRF-Token": "guess"}
    )
    assert wrong.status_code == 401
    accepted = client.post(
        "/api/orders", json={"ticketId": ticket_id}, headers={"X-CSRF-Token": csrf}
    )
    assert accepted.status_code == 201
    listed = client.get("/api/orders")  # reading needs no CSRF header
    assert listed.status_code == 200
    assert [o["id"] for o in listed.json["items"]] == [accepted.json["id"]]


def test_a_cookie_session_must_echo_the_csrf_token_to_cancel(
    client: FlaskClient,
    issue_token: Callable[..., str],
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
) -> None:
    buyer, csrf = uuid.uuid4(), str(uuid.uuid4())
    order = order_ticket(client, auth(buyer), seed_ticket())
    client.set_cookie("access_token_cookie", issue_token(buyer, csrf=csrf))
    assert client.post(f"/api/orders/{order['id']}/cancel").status_code == 401
    assert client.get(f"/api/orders/{order['id']}").json["status"] == "created"
    done = client.post(f"/api/orders/{order['id']}/cancel", headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200


def test_someone_elses_order_is_forbidden_to_read_and_to_cancel(
    client: FlaskClient, seed_ticket: Callable[..., uuid.UUID], auth: Auth
) -> None:
    owner = auth(uuid.uuid4())
    order = order_ticket(client, owner, seed_ticket())
    stranger = auth(uuid.uuid4())
    read = client.get(f"/api/orders/{order['id']}", headers=stranger)
    assert read.status_code == 403
    cancel = client.post(f"/api/orders/{order['id']}/cancel", headers=stranger)
    assert cancel.status_code == 403
    assert client.get(f"/api/orders/{order['id']}", headers=owner).json["status"] == "created"


def test_an_unknown_order_is_not_found_to_read_and_to_cancel(
    client: FlaskClient, auth: Auth
) -> None:
    headers = auth(uuid.uuid4())
    assert client.get(f"/api/orders/{uuid.uuid4()}", headers=headers).status_code == 404
    assert client.post(f"/api/orders/{uuid.uuid4()}/cancel", headers=headers).status_code == 404


def test_the_list_shows_only_my_orders(
    client: FlaskClient, seed_ticket: Callable[..., uuid.UUID], auth: Auth
) -> None:
    mine = order_ticket(client, auth(me := uuid.uuid4()), seed_ticket())
    order_ticket(client, auth(uuid.uuid4()), seed_ticket())
    listed = client.get("/api/orders", headers=auth(me)).json
    assert [o["id"] for o in listed["items"]] == [mine["id"]]
