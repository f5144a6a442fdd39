"""The OpenAPI documents of every service, loaded for property-based fuzzing."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import schemathesis
from flask import Flask
from schemathesis.schemas import BaseSchema

from api.auth.app import create_app as create_auth_app
from api.auth.config import AuthSettings
from api.orders.app import create_app as create_orders_app
from api.orders.config import OrdersSettings
from api.payments.app import create_app as create_payments_app
from api.payments.config import PaymentsSettings
from api.tickets.app import create_app as create_tickets_app
from api.tickets.config import TicketsSettings

# Fuzzing is not an attack: the limits would otherwise answer most generated requests.
UNLIMITED = {
    "SIGNIN_IP_LIMIT": "100000",
    "SIGNIN_FREE_FAILURES": "100000",
    "SIGNUP_IP_LIMIT": "100000",
}


@pytest.fixture
def auth_schema(service_env: Callable[..., dict[str, str]]) -> BaseSchema:
    app = create_auth_app(AuthSettings.from_env(service_env("auth", signer=True, **UNLIMITED)))
    return schemathesis.openapi.from_wsgi("/api/users/openapi.json", app)


@pytest.fixture
def api_schemas(
    service_env: Callable[..., dict[str, str]],
) -> Iterator[dict[str, BaseSchema]]:
    """The four public documents, each served by its app on a clean database."""
    apps: dict[str, tuple[str, Flask]] = {
        "auth": (
            "/api/users",
            create_auth_app(AuthSettings.from_env(service_env("auth", signer=True, **UNLIMITED))),
        ),
        "tickets": (
            "/api/tickets",
            create_tickets_app(TicketsSettings.from_env(service_env("tickets"))),
        ),
        "orders": (
            "/api/orders",
            create_orders_app(OrdersSettings.from_env(service_env("orders"))),
        ),
        "payments": (
            "/api/payments",
            create_payments_app(
                PaymentsSettings.from_env(
                    service_env(
                        "payments",
                        STRIPE_API_KEY="sk_test_standin",
                        STRIPE_API_BASE="http://127.0.0.1:9",
                        STRIPE_WEBHOOK_SECRET="whsec_fuzz",
                    )
                )
            ),
        ),
    }
    yield {
        name: schemathesis.openapi.from_wsgi(f"{prefix}/openapi.json", app)
        for name, (prefix, app) in apps.items()
    }
    for _, app in apps.values():
        app.extensions["db"].dispose()
