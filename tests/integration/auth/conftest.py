"""An auth app on a clean test database, and helpers to sign users up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.auth.app import create_app
from api.auth.config import AuthSettings
from common.clock import Clock

PASSWORD = "correct horse battery"


@pytest.fixture
def auth_env(service_env: Callable[..., dict[str, str]]) -> dict[str, str]:
    return service_env("auth", signer=True)


@pytest.fixture
def make_app(auth_env: dict[str, str]) -> Callable[..., Flask]:
    def make(clock: Clock | None = None, **overrides: str) -> Flask:
        return create_app(AuthSettings.from_env({**auth_env, **overrides}), clock=clock)

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def signup(
    client: FlaskClient, email: str = "ann@example.com", password: str = PASSWORD
) -> dict[str, Any]:
    response = client.post("/api/users/signup", json={"email": email, "password": password})
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]  # JSON and Flask extensions are Any


def cookie(client: FlaskClient, name: str) -> str | None:
    found = client.get_cookie(name)
    return found.value if found else None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
