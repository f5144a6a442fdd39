"""The payments service's operational endpoints and its OpenAPI document."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_health_readiness_and_metrics_answer(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "nats": "ok", "redis": "ok"}
    assert client.get("/metrics").status_code == 200


def test_the_openapi_document_and_swagger_ui_are_served_under_the_prefix(
    client: FlaskClient,
) -> None:
    spec = client.get("/api/payments/openapi.json").json
    docs = client.get("/api/payments/docs")

    assert set(spec["paths"]) == {
        "/api/payments",
        "/api/payments/{payment_id}",
        "/api/payments/webhook",
        # Operators only (api/payments/ops_views.py, api/ops).
        "/api/payments/ops/payments",
        "/api/payments/ops/compensations",
        "/api/payments/ops/stuck",
        "/api/payments/ops/dead-letters",
        "/api/payments/ops/dead-letters/{letter_id}/replay",
        "/api/payments/ops/dead-letters/{letter_id}/discard",
        "/api/payments/ops/backlog",
    }
    pay = spec["paths"]["/api/payments"]["post"]["responses"]
    assert {"201", "202", "401", "402", "403", "404", "409", "422"} <= set(pay)
    assert "400" in spec["paths"]["/api/payments/webhook"]["post"]["responses"]
    assert docs.status_code == 200


def test_an_unknown_route_is_a_problem(client: FlaskClient) -> None:
    response = client.get("/api/payments/nothing/here")

    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
