"""Every service speaks problem+json for every error, echoes request ids and exposes metrics."""

from __future__ import annotations

import json
import logging
from typing import Any

import marshmallow as ma
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask.views import MethodView
from flask_smorest import Blueprint

from common.config import ServiceSettings
from common.errors import Conflict, FieldError
from common.http.app import create_service_app


class EchoSchema(ma.Schema):
    name = ma.fields.String(required=True)
    count = ma.fields.Integer(required=True)


@pytest.fixture
def app() -> Flask:
    settings = ServiceSettings.from_env("probe", {"APP_ENV": "test", "MAX_BODY_BYTES": "1024"})
    app, api = create_service_app(
        settings,
        title="probe",
        prefix="/api/probe",
        description="",
        checks={"always": lambda: None},
    )
    blp = Blueprint("probe", __name__, url_prefix="/api/probe")

    @blp.route("/echo")
    class Echo(MethodView):
        @blp.arguments(EchoSchema)
        @blp.response(200, EchoSchema)
        def post(self, body: dict[str, Any]) -> dict[str, Any]:
            return body

    @blp.route("/conflict")
    class Clash(MethodView):
        def post(self) -> None:
            raise Conflict("Ticket is reserved.", [FieldError("Locked.", "ticketId")])

    @blp.route("/boom")
    class Boom(MethodView):
        def get(self) -> None:
            raise RuntimeError("secret internals")

    api.register_blueprint(blp)
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert isinstance(body["title"], str) and isinstance(body["detail"], str)
    assert isinstance(body["errors"], list)
    return body  # type: ignore[no-any-return]  # JSON and Flask extensions are Any


def test_unknown_routes_are_404_problems(client: FlaskClient) -> None:
    assert_problem(client.get("/api/probe/nothing-here"), 404)


def test_wrong_methods_are_405_problems_with_allow(client: FlaskClient) -> None:
    response = client.delete("/api/probe/echo")
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_malformed_json_is_a_400_problem(client: FlaskClient) -> None:
    body = assert_problem(
        client.post("/api/probe/echo", data="{nope", content_type="application/json"), 400
    )
    assert "JSON" in body["detail"]


@pytest.mark.parametrize("payload", ["[1, 2]", '"text"', "42", "null"])
def test_a_json_body_that_is_not_an_object_is_a_400_problem(
    client: FlaskClient, payload: str
) -> None:
    body = assert_problem(
        client.post("/api/probe/echo", data=payload, content_type="application/json"), 400
    )
    assert "object" in body["detail"]


def test_a_body_that_is_not_json_is_a_415_problem(client: FlaskClient) -> None:
    assert_problem(
        client.post(
            "/api/probe/echo", data="name=x", content_type="application/x-www-form-urlencoded"
        ),
        415,
    )


def test_a_body_over_the_limit_is_a_413_problem(client: FlaskClient) -> None:
    payload = json.dumps({"name": "x" * 2048, "count": 1})
    assert_problem(
        client.post("/api/probe/echo", data=payload, content_type="application/json"), 413
    )


def test_each_invalid_field_gets_its_own_entry(client: FlaskClient) -> None:
    body = assert_problem(client.post("/api/probe/echo", json={"count": "many", "extra": 1}), 422)
    assert sorted(body["errors"], key=lambda e: e["field"]) == [
        {"message": "Not a valid integer.", "field": "count"},
        {"message": "Unknown field.", "field": "extra"},
        {"message": "Missing data for required field.", "field": "name"},
    ]


def test_domain_errors_keep_their_status_detail_and_fields(client: FlaskClient) -> None:
    body = assert_problem(client.post("/api/probe/conflict"), 409)
    assert body["detail"] == "Ticket is reserved."
    assert body["errors"] == [{"message": "Locked.", "field": "ticketId"}]


def test_unexpected_errors_are_500_problems_without_internals(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/probe/boom", headers={"X-Request-Id": "req-boom-1"})
    body = assert_problem(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert body["requestId"] == "req-boom-1"
    logged = [r for r in caplog.records if r.exc_info]
    assert logged and "secret internals" in str(logged[0].exc_info[1])


def test_request_ids_are_echoed_or_generated(client: FlaskClient) -> None:
    echoed = client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert echoed.headers["X-Request-Id"] == "abc-123"
    generated = client.get("/healthz")
    assert len(generated.headers["X-Request-Id"]) == 32
    hostile = client.get("/healthz", headers={"X-Request-Id": "bad id with spaces;<script>"})
    assert hostile.headers["X-Request-Id"] != "bad id with spaces;<script>"


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"always": "ok"}


def test_readiness_fails_when_a_dependency_is_down() -> None:
    settings = ServiceSettings.from_env("probe", {"APP_ENV": "test"})

    def down() -> None:
        raise ConnectionError("nope")

    app, _ = create_service_app(
        settings, title="p", prefix="/api/p", description="", checks={"database": down}
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"].startswith("failed")


def test_metrics_count_requests_by_route_and_status(client: FlaskClient) -> None:
    client.post("/api/probe/echo", json={"name": "a", "count": 1})
    client.get("/api/probe/nothing-here")
    text = client.get("/metrics").get_data(as_text=True)
    assert (
        'http_requests_total{method="POST",route="/api/probe/echo",service="probe",'
        'status="200"} 1.0' in text
    )
    assert 'route="<unmatched>",service="probe",status="404"} 1.0' in text
    assert "http_request_duration_seconds_bucket" in text


def test_logs_are_json_lines_with_the_request_id(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    client.get("/api/probe/boom", headers={"X-Request-Id": "log-req-7"})
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    entry = next(line for line in lines if line["message"] == "unhandled error")
    assert entry["requestId"] == "log-req-7"
    assert entry["level"] == "error"
    assert "secret internals" in entry["exception"]
