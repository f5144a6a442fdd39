"""Finding 9: every error lists at least one {message}, so clients render `errors` alone."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import Client

from common import errors
from common.config import ServiceSettings
from common.http.app import create_service_app
from deploy.gateway.app import GatewaySettings
from deploy.gateway.app import create_app as create_gateway
from deploy.gateway.problems import GATEWAY_PROBLEMS, problem_body
from deploy.gateway.routes import RouteTable, Upstream

RAISED = {
    400: errors.BadRequest,
    401: errors.Unauthenticated,
    402: errors.PaymentRequired,
    403: errors.Forbidden,
    404: errors.NotFound,
    409: errors.Conflict,
    429: errors.TooManyRequests,
}


def assert_lists_its_detail(body: dict[str, Any]) -> None:
    assert body["errors"], body
    assert all(isinstance(e["message"], str) and e["message"] for e in body["errors"]), body


@pytest.fixture
def probe() -> FlaskClient:
    """A service on the shared kernel whose routes raise each error of the error tree."""
    settings = ServiceSettings.from_env("probe", {"APP_ENV": "test"})
    app, _ = create_service_app(
        settings, title="probe", prefix="/api/probe", description="", checks={}
    )

    @app.route("/api/probe/raise/<int:status>", methods=["GET"])
    def raise_it(status: int) -> None:
        raise RAISED[status]()

    return app.test_client()


@pytest.mark.parametrize("status", sorted(RAISED))
def test_each_error_of_the_tree_lists_its_detail(probe: FlaskClient, status: int) -> None:
    response = probe.get(f"/api/probe/raise/{status}")
    assert response.status_code == status
    body = response.json
    assert_lists_its_detail(body)
    assert body["errors"] == [{"message": body["detail"], "field": None}]


def test_kernel_errors_list_their_detail(probe: FlaskClient) -> None:
    answers = [
        probe.get("/api/probe/nowhere"),  # 404
        probe.delete("/api/probe/raise/400"),  # 405
        probe.post("/api/probe/raise/400", data="x", content_type="text/plain"),  # 415
        probe.post("/api/probe/raise/400", data="{", content_type="application/json"),  # 400
    ]
    assert [a.status_code for a in answers] == [404, 405, 415, 400]
    for answer in answers:
        assert_lists_its_detail(answer.json)


def test_service_answers_list_their_detail(
    make_auth: Callable[..., Flask],
    services: dict[str, FlaskClient],
    issue_token: Callable[..., str],
) -> None:
    auth = make_auth().test_client()
    wrong = auth.post("/api/users/signin", json={"email": "a@example.com", "password": "x"})
    anonymous = services["orders"].get("/api/orders")
    missing = services["tickets"].get(f"/api/tickets/{uuid.uuid4()}")
    seller = {"Authorization": f"Bearer {issue_token()}"}
    created = services["tickets"].post(
        "/api/tickets", json={"title": "Row 4", "price": "20"}, headers=seller
    )
    not_yours = services["tickets"].put(
        f"/api/tickets/{created.json['id']}",
        json={"title": "Mine now", "price": "1"},
        headers={"Authorization": f"Bearer {issue_token()}"},
    )
    answers = [wrong, anonymous, missing, not_yours]
    assert [a.status_code for a in answers] == [401, 401, 404, 403]
    for answer in answers:
        assert_lists_its_detail(answer.json)


@pytest.mark.parametrize("status", sorted(GATEWAY_PROBLEMS))
def test_gateway_problems_list_their_detail(status: int) -> None:
    assert_lists_its_detail(json.loads(problem_body(status)))


def test_the_gateway_answers_an_unknown_api_with_a_listed_detail() -> None:
    gateway = create_gateway(GatewaySettings(routes=RouteTable((), Upstream("127.0.0.1", 9))))
    client = Client(gateway)  # the gateway is a plain WSGI app
    response = client.get("/api/nope")
    assert response.status_code == 404
    assert_lists_its_detail(response.json)
