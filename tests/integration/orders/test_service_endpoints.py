"""The OpenAPI document, health and readiness of the orders service."""

from __future__ import annotations

import socket
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient


def test_the_openapi_document_lists_every_route_with_its_errors(client: FlaskClient) -> None:
    response = client.get("/api/orders/openapi.json")
    assert response.status_code == 200
    paths = response.json["paths"]
    documented = {
        (path, method): set(operation["responses"])
        for path, operations in paths.items()
        for method, operation in operations.items()
        if method in {"get", "post"}
    }
    # The operators' routes (api/orders/ops_views.py, api/ops): 401 and 403 on each.
    operators = {key: codes for key, codes in documented.items() if "/ops/" in key[0]}
    assert len(operators) == 8
    assert all({"200", "401", "403"} <= codes for codes in operators.values())
    documented = {key: codes for key, codes in documented.items() if key not in operators}
    assert documented == {
        ("/api/orders", "get"): {"200", "401", "422", "default"},
        ("/api/orders", "post"): {"201", "401", "404", "409", "422", "429", "503", "default"},
        ("/api/orders/{order_id}", "get"): {"200", "401", "403", "404", "default"},
        ("/api/orders/{order_id}/cancel", "post"): {
            *("200", "401", "403", "404", "409", "422", "default")
        },
        ("/api/orders/waiting-room", "get"): {"200", "default"},
        ("/api/orders/waiting-room/me", "get"): {"200", "401", "default"},
    }
    in_line = paths["/api/orders"]["post"]["responses"]["503"]
    assert set(in_line["headers"]) == {"Retry-After", "Queue-Position"}
    assert set(paths["/api/orders"]["post"]["responses"]["429"]["headers"]) == {"Retry-After"}
    create = paths["/api/orders"]["post"]
    assert create["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]
    assert create["responses"]["409"]["content"]["application/problem+json"]
    schemas = response.json["components"]["schemas"]
    assert set(schemas["Order"]["required"]) == {
        "id",
        "status",
        "ticketId",
        "ticket",
        "userId",
        "expiresAt",
        "version",
        "reason",
        "reasonDetail",
        "createdAt",
        "updatedAt",
    }
    assert set(schemas["TrackedOrder"]["required"]) == set(schemas["Order"]["required"]) | {
        "timeline"
    }
    one = paths["/api/orders/{order_id}"]["get"]["responses"]["200"]["content"]
    assert one["application/json"]["schema"] == {"$ref": "#/components/schemas/TrackedOrder"}
    entry = schemas["TimelineEntry"]
    assert set(entry["required"]) == {"step", "outcome", "attempt", "at", "detail"}
    assert entry["properties"]["outcome"] == {"$ref": "#/components/schemas/TimelineEntryOutcome"}
    outcomes = schemas["TimelineEntryOutcome"]["enum"]
    assert outcomes == ["ok", "failed", "skipped", "compensated"]


def test_swagger_ui_is_served_without_a_cdn(client: FlaskClient) -> None:
    page = client.get("/api/orders/docs")
    assert page.status_code == 200
    assert b"/api/orders/docs/assets/" in page.data


def test_the_service_is_ready_when_its_database_and_nats_answer(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "nats": "ok"}
    assert client.get("/healthz").status_code == 200


def test_the_service_is_not_ready_without_nats(make_app: Callable[..., Flask]) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    client = make_app(NATS_URL=f"nats://127.0.0.1:{port}").test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["nats"].startswith("failed")
