"""Signing in: same answer for unknown email and wrong password, and a rate limit."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from tests.integration.auth.conftest import PASSWORD, signup


def test_signin_with_the_right_password_sets_cookies(client: FlaskClient) -> None:
    user = signup(client, "sig@example.com")
    client.delete_cookie("access_token_cookie")
    response = client.post(
        "/api/users/signin", json={"email": "SIG@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json["id"] == user["id"]
    assert any(c.startswith("access_token_cookie=") for c in response.headers.getlist("Set-Cookie"))


def test_wrong_password_and_unknown_email_get_the_same_problem(client: FlaskClient) -> None:
    signup(client, "known@example.com")
    wrong = client.post(
        "/api/users/signin", json={"email": "known@example.com", "password": "wrong password"}
    )
    unknown = client.post(
        "/api/users/signin", json={"email": "nobody@example.com", "password": "wrong password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda body: {k: v for k, v in body.items() if k != "requestId"}  # noqa: E731 (a one-line helper)
    assert strip(wrong.json) == strip(unknown.json)
    assert "Set-Cookie" not in wrong.headers


def test_repeated_failures_for_one_email_from_one_address_are_delayed(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(SIGNIN_FREE_FAILURES="3").test_client()
    signup(client, "target@example.com")
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    statuses = [
        client.post(
            "/api/users/signin",
            json={"email": "target@example.com", "password": "guess"},
            environ_base=attacker,
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]
    blocked = client.post(
        "/api/users/signin",
        json={"email": "target@example.com", "password": PASSWORD},
        environ_base=attacker,
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert blocked.mimetype == "application/problem+json"
    owner = client.post(
        "/api/users/signin", json={"email": "target@example.com", "password": PASSWORD}
    )
    assert owner.status_code == 200


def test_other_users_are_not_slowed_by_an_attack_on_one_email(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(SIGNIN_FREE_FAILURES="2").test_client()
    signup(client, "victim@example.com")
    signup(client, "bystander@example.com")
    for _ in range(3):
        client.post("/api/users/signin", json={"email": "victim@example.com", "password": "x"})
    ok = client.post(
        "/api/users/signin", json={"email": "bystander@example.com", "password": PASSWORD}
    )
    assert ok.status_code == 200


def test_one_client_ip_is_limited_across_emails(make_app: Callable[..., Flask]) -> None:
    client = make_app(SIGNIN_IP_LIMIT="4").test_client()
    statuses = [
        client.post(
            "/api/users/signin",
            json={"email": f"u{i}@example.com", "password": "x"},
            environ_base={"REMOTE_ADDR": "192.0.2.7"},
        ).status_code
        for i in range(6)
    ]
    assert statuses == [401, 401, 401, 401, 429, 429]
    other_ip = client.post(
        "/api/users/signin",
        json={"email": "z@example.com", "password": "x"},
        environ_base={"REMOTE_ADDR": "192.0.2.8"},
    )
    assert other_ip.status_code == 401


def test_a_successful_signin_clears_the_failures_of_that_email(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(SIGNIN_FREE_FAILURES="3").test_client()
    signup(client, "typo@example.com")
    for _ in range(2):
        client.post("/api/users/signin", json={"email": "typo@example.com", "password": "typo"})
    assert (
        client.post(
            "/api/users/signin", json={"email": "typo@example.com", "password": PASSWORD}
        ).status_code
        == 200
    )
    for _ in range(2):
        response = client.post(
            "/api/users/signin", json={"email": "typo@example.com", "password": "typo"}
        )
        assert response.status_code == 401
