"""The tickets service's operator routes: dead letters and backlog, operators only."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

ROUTES = [
    ("get", "/api/tickets/ops/dead-letters"),
    ("post", "/api/tickets/ops/dead-letters/1/replay"),
    ("post", "/api/tickets/ops/dead-letters/1/discard"),
    ("get", "/api/tickets/ops/backlog"),
]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_anonymous_is_401_a_normal_user_403(
    client: FlaskClient, issue_token: Callable[..., str], method: str, path: str
) -> None:
    assert getattr(client, method)(path).status_code == 401
    response = getattr(client, method)(path, headers=bearer(issue_token(uuid.uuid4())))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"


def test_an_operator_reads_the_tickets_backlog(
    client: FlaskClient, issue_token: Callable[..., str]
) -> None:
    operator = bearer(issue_token(uuid.uuid4(), roles=["operator"]))
    backlog = client.get("/api/tickets/ops/backlog", headers=operator).json
    assert backlog["service"] == "tickets" and backlog["queues"] == []
    assert all(c["durable"].startswith("tickets-") for c in backlog["consumers"])
    assert client.get("/api/tickets/ops/dead-letters", headers=operator).json["items"] == []
    assert (
        client.post("/api/tickets/ops/dead-letters/7/replay", headers=operator).status_code == 404
    )
