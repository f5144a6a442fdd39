"""Signing up creates a user, signs them in with cookies, and refuses bad input."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from api.auth.models import User
from tests.integration.auth.conftest import PASSWORD, cookie, signup


def test_signup_returns_the_user_and_sets_session_cookies(client: FlaskClient) -> None:
    response = client.post(
        "/api/users/signup", json={"email": "Ann@Example.com", "password": PASSWORD}
    )
    assert response.status_code == 201
    body = response.json
    assert body["email"] == "ann@example.com"
    assert body["createdAt"].endswith("Z")
    assert set(body) == {"id", "email", "createdAt"}
    set_cookies = response.headers.getlist("Set-Cookie")
    access = next(c for c in set_cookies if c.startswith("access_token_cookie="))
    refresh = next(c for c in set_cookies if c.startswith("refresh_token_cookie="))
    csrf = next(c for c in set_cookies if c.startswith("csrf_access_token="))
    assert "HttpOnly" in access and "HttpOnly" in refresh
    assert "SameSite=Lax" in access
    assert "HttpOnly" not in csrf
    assert cookie(client, "csrf_refresh_token")


def test_signup_stores_an_argon2id_hash_never_the_password(client: FlaskClient, app) -> None:  # type: ignore[no-untyped-def]  # a fixture without a stub type
    signup(client, "hash@example.com")
    with app.extensions["db"].transaction() as session:
        user = session.scalar(select(User).where(User.email == "hash@example.com"))
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_signup_with_a_taken_email_in_another_case_is_a_conflict(client: FlaskClient) -> None:
    signup(client, "dup@example.com")
    response = client.post(
        "/api/users/signup", json={"email": " DUP@example.com ", "password": PASSWORD}
    )
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"] == [{"message": "Already registered.", "field": "email"}]


def test_signup_lists_every_bad_field(client: FlaskClient) -> None:
    response = client.post("/api/users/signup", json={"email": "nope", "password": "short"})
    assert response.status_code == 422
    fields = {error["field"] for error in response.json["errors"]}
    assert fields == {"email", "password"}


def test_signup_refuses_passwords_longer_than_128_characters(client: FlaskClient) -> None:
    response = client.post(
        "/api/users/signup", json={"email": "long@example.com", "password": "x" * 129}
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "password"


def test_signup_reports_missing_fields_and_wrong_types(client: FlaskClient) -> None:
    missing = client.post("/api/users/signup", json={})
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json["errors"]} == {"email", "password"}
    wrong = client.post("/api/users/signup", json={"email": 5, "password": ["a"], "admin": True})
    assert wrong.status_code == 422
    assert {e["field"] for e in wrong.json["errors"]} == {"email", "password", "admin"}


def test_signups_from_one_address_are_rate_limited(make_app: Callable[..., Flask]) -> None:
    client = make_app(SIGNUP_IP_LIMIT="2", SIGNUP_IP_WINDOW_SECONDS="3600").test_client()
    answers = [
        client.post(
            "/api/users/signup",
            json={"email": f"bot{i}@example.com", "password": PASSWORD},
            environ_base={"REMOTE_ADDR": "203.0.113.50"},
        )
        for i in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 429]
    refused = answers[-1]
    assert refused.mimetype == "application/problem+json"
    assert 3500 <= int(refused.headers["Retry-After"]) <= 3600
    assert refused.json["errors"] == [{"message": refused.json["detail"], "field": None}]
    elsewhere = client.post(
        "/api/users/signup",
        json={"email": "person@example.com", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.50"},
    )
    assert elsewhere.status_code == 201
