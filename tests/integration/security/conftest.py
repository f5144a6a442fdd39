"""Fixtures of the security suite: the auth app, and the web in front of the real APIs."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.auth.app import create_app as create_auth_app
from api.auth.config import AuthSettings
from api.orders.app import create_app as create_orders_app
from api.orders.config import OrdersSettings
from api.payments.app import create_app as create_payments_app
from api.payments.config import PaymentsSettings
from api.tickets.app import create_app as create_tickets_app
from api.tickets.config import TicketsSettings

# The web suite's stack (APIs behind the Python gateway, the web in-process) is reused as is.
from tests.integration.web.conftest import (  # noqa: F401 (fixtures)
    api_env,
    backend,
    browser,
    make_browser,
    make_web,
    web_app,
    web_env,
)


@pytest.fixture
def auth_env(service_env: Callable[..., dict[str, str]]) -> dict[str, str]:
    return service_env("auth", signer=True)


@pytest.fixture
def make_auth(auth_env: dict[str, str]) -> Callable[..., Flask]:
    """An auth app with these settings on top of the test environment."""

    def make(**overrides: str) -> Flask:
        return create_auth_app(AuthSettings.from_env({**auth_env, **overrides}))

    return make


@pytest.fixture
def services(service_env: Callable[..., dict[str, str]]) -> Iterator[dict[str, FlaskClient]]:
    """Test clients of the tickets, orders and payments apps (one Redis, as deployed)."""
    apps: dict[str, Flask] = {
        "tickets": create_tickets_app(TicketsSettings.from_env(service_env("tickets"))),
        "orders": create_orders_app(OrdersSettings.from_env(service_env("orders"))),
        "payments": create_payments_app(
            PaymentsSettings.from_env(
                service_env(
                    "payments",
                    STRIPE_API_KEY="sk_test_standin",
                    STRIPE_API_BASE="http://127.0.0.1:9",
                    STRIPE_WEBHOOK_SECRET="whsec_security_suite",
                )
            )
        ),
    }
    yield {name: app.test_client() for name, app in apps.items()}
    for app in apps.values():
        app.extensions["db"].dispose()
