"""Finding 5: hostile input gets a 4xx problem, never a 500."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.web.pages import sign_up, submit

POSTS = {
    "tickets": "/api/tickets",
    "orders": "/api/orders",
    "payments": "/api/payments",
}
DEEP = [
    b"[" * 100_000,
    b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    b'{"a":' + b"[" * 40 + b"]" * 40 + b"}",
]


def post_raw(client: FlaskClient, path: str, body: bytes, **headers: str) -> tuple[int, dict]:
    response = client.post(path, data=body, content_type="application/json", headers=headers)
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
    return response.status_code, response.json or {}


@pytest.mark.parametrize("body", DEEP, ids=["array-100000", "object-5000", "object-41"])
def test_deeply_nested_json_is_a_400_on_a_post_of_every_service(
    body: bytes,
    make_auth: Callable[..., Flask],
    services: dict[str, FlaskClient],
    issue_token: Callable[..., str],
) -> None:
    bearer = f"Bearer {issue_token()}"
    clients = {"auth": make_auth().test_client(), **services}
    paths = {"auth": "/api/users/signup", **POSTS}
    for name, client in clients.items():
        status, problem = post_raw(client, paths[name], body, Authorization=bearer)
        assert status == 400, (name, problem)
        assert problem["errors"], name


@pytest.mark.parametrize("path", ["/api/users/signup", "/api/users/signin", "/api/users/tokens"])
def test_a_lone_surrogate_in_a_password_is_a_422(
    path: str, make_auth: Callable[..., Flask]
) -> None:
    body = b'{"email": "ann@example.com", "password": "abc\\ud800defgh"}'
    status, problem = post_raw(make_auth().test_client(), path, body)
    assert status == 422
    assert [e["field"] for e in problem["errors"]] == ["password"]


@pytest.mark.parametrize("title", ["Row\\u00004", "Row \\udc00 4", "Row\\n4"])
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_nul_surrogate_or_newline_in_a_ticket_title_is_a_422(
    title: str, method: str, services: dict[str, FlaskClient], issue_token: Callable[..., str]
) -> None:
    tickets = services["tickets"]
    headers = {"Authorization": f"Bearer {issue_token(uuid.uuid4())}"}
    path = "/api/tickets"
    if method == "PUT":
        created = tickets.post(path, json={"title": "Row 4", "price": "20"}, headers=headers)
        path = f"/api/tickets/{created.json['id']}"
    body = ('{"title": "' + title + '", "price": "20.00"}').encode()
    response = tickets.open(
        path, method=method, data=body, content_type="application/json", headers=headers
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert [e["field"] for e in response.json["errors"]] == ["title"]


def test_a_payment_method_with_a_final_newline_is_a_422(
    services: dict[str, FlaskClient], issue_token: Callable[..., str]
) -> None:
    response = services["payments"].post(
        "/api/payments",
        json={"orderId": str(uuid.uuid4()), "paymentMethod": "pm_card_visa\n"},
        headers={"Authorization": f"Bearer {issue_token()}"},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["paymentMethod"]


@pytest.mark.parametrize("next_page", ["/tickets%0D%0ASet-Cookie:%20x=1", "/x%0Ay", "/x%09y"])
def test_control_characters_in_next_after_signin_go_home(
    next_page: str, browser: FlaskClient, make_browser: Callable[[], FlaskClient]
) -> None:
    sign_up(browser, "ann@example.com")
    other = make_browser()
    data = {"email": "ann@example.com", "password": "correct horse battery"}
    response = submit(other, f"/signin?next={next_page}", data, form_page="/signin")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("price", [-4.19e89, "-1e400"])
def test_a_price_far_out_of_range_is_a_422(
    price: object, services: dict[str, FlaskClient], issue_token: Callable[..., str]
) -> None:
    response = services["tickets"].post(
        "/api/tickets",
        json={"title": "Row 4", "price": price},
        headers={"Authorization": f"Bearer {issue_token()}"},
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert [e["field"] for e in response.json["errors"]] == ["price"]
