"""Personal API keys: shown once and stored hashed, scoped tokens accepted by every service,
revoked everywhere at once, last-used time."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from api.auth.api_keys.models import ApiKey
from api.tickets.app import create_app as tickets_app
from api.tickets.config import TicketsSettings
from tests.integration.auth.conftest import bearer, signup


@pytest.fixture
def tickets(service_env: Callable[..., dict[str, str]]) -> FlaskClient:
    """The tickets service, sharing auth's public key and Redis, as in a deployment."""
    return tickets_app(TicketsSettings.from_env(service_env("tickets"))).test_client()


def create_key(client: FlaskClient, scopes: list[str], name: str = "shop") -> dict[str, Any]:
    response = client.post(
        "/api/users/api-keys",
        json={"name": name, "scopes": scopes},
        headers={"X-CSRF-Token": client.get_cookie("csrf_access_token").value},  # type: ignore[union-attr]
    )
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def exchange(client: FlaskClient, key: str) -> Any:
    return client.post("/api/users/api-keys/token", json={"apiKey": key})


def test_a_key_is_shown_once_and_stored_only_as_a_hash(client: FlaskClient, app: Flask) -> None:
    signup(client)
    created = create_key(client, ["read"])

    assert created["key"].startswith("tkt_")
    assert created["prefix"] == created["key"][:12]
    listed = client.get("/api/users/api-keys").json["items"]
    assert [k["id"] for k in listed] == [created["id"]]
    assert "key" not in listed[0]
    with app.extensions["db"].transaction() as session:
        stored = session.scalars(sa.select(ApiKey)).one()
        assert created["key"] not in (stored.key_hash, stored.prefix)
        assert len(stored.key_hash) == 64


def test_scopes_are_checked_by_every_service(client: FlaskClient, tickets: FlaskClient) -> None:
    signup(client)
    reader = exchange(client, create_key(client, ["read"])["key"]).json
    seller = exchange(client, create_key(client, ["read", "write:tickets"])["key"]).json
    body = {"title": "Opera", "price": "35.00"}

    assert reader["scopes"] == ["read"] and reader["tokenType"] == "Bearer"
    assert (
        tickets.get("/api/tickets/mine", headers=bearer(reader["accessToken"])).status_code == 200
    )
    refused = tickets.post("/api/tickets", json=body, headers=bearer(reader["accessToken"]))
    assert refused.status_code == 403
    assert "write:tickets" in refused.json["detail"]
    listed = tickets.post("/api/tickets", json=body, headers=bearer(seller["accessToken"]))
    assert listed.status_code == 201


def test_a_revoked_key_stops_working_in_every_service_at_once(
    client: FlaskClient, tickets: FlaskClient
) -> None:
    signup(client)
    created = create_key(client, ["read"])
    token = exchange(client, created["key"]).json["accessToken"]
    assert tickets.get("/api/tickets/mine", headers=bearer(token)).status_code == 200

    revoked = client.delete(
        f"/api/users/api-keys/{created['id']}",
        headers={"X-CSRF-Token": client.get_cookie("csrf_access_token").value},  # type: ignore[union-attr]
    )

    assert revoked.status_code == 204
    again = tickets.get("/api/tickets/mine", headers=bearer(token))
    assert again.status_code == 401
    assert "revoked" in again.json["detail"]
    assert exchange(client, created["key"]).status_code == 401
    [listed] = client.get("/api/users/api-keys").json["items"]
    assert listed["revokedAt"] is not None


def test_the_last_use_is_recorded(client: FlaskClient, tickets: FlaskClient) -> None:
    signup(client)
    created = create_key(client, ["read"])
    [fresh] = client.get("/api/users/api-keys").json["items"]
    assert fresh["lastUsedAt"] is None
    token = exchange(client, created["key"]).json["accessToken"]
    time.sleep(1.1)
    tickets.get("/api/tickets/mine", headers=bearer(token))
    [used] = client.get("/api/users/api-keys").json["items"]
    assert used["lastUsedAt"] is not None
    assert used["lastUsedAt"] > used["createdAt"]


def test_unknown_keys_and_bad_input_are_refused(client: FlaskClient) -> None:
    assert exchange(client, "tkt_nope").status_code == 401
    assert client.post("/api/users/api-keys/token", json={}).status_code == 422
    signup(client)
    csrf = {"X-CSRF-Token": client.get_cookie("csrf_access_token").value}  # type: ignore[union-attr]
    for body in (
        {"name": "x", "scopes": ["admin"]},
        {"name": "", "scopes": ["read"]},
        {"name": "x"},
    ):
        response = client.post("/api/users/api-keys", json=body, headers=csrf)
        assert response.status_code == 422, body
        assert response.mimetype == "application/problem+json"
    assert client.delete(f"/api/users/api-keys/{uuid.uuid4()}", headers=csrf).status_code == 404


def test_a_key_cannot_manage_keys_and_others_cannot_revoke_mine(
    make_app: Callable[..., Flask],
) -> None:
    ann, bob = make_app().test_client(), make_app().test_client()
    signup(ann, "ann@example.com")
    signup(bob, "bob@example.com")
    created = create_key(ann, ["read", "write:orders"])
    token = exchange(ann, created["key"]).json["accessToken"]

    assert ann.get("/api/users/api-keys", headers=bearer(token)).status_code == 403
    csrf = {"X-CSRF-Token": bob.get_cookie("csrf_access_token").value}  # type: ignore[union-attr]
    assert bob.delete(f"/api/users/api-keys/{created['id']}", headers=csrf).status_code == 404
    assert bob.get("/api/users/api-keys").json["items"] == []
