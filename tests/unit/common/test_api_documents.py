"""Every service's OpenAPI document, and the combined one, is complete enough to generate from."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from api.auth.app import create_app as auth_app
from api.auth.config import AuthSettings
from api.orders.app import create_app as orders_app
from api.orders.config import OrdersSettings
from api.payments.app import create_app as payments_app
from api.payments.config import PaymentsSettings
from api.tickets.app import create_app as tickets_app
from api.tickets.config import TicketsSettings
from api.webhooks.app import create_app as webhooks_app
from api.webhooks.config import WebhooksSettings
from common.http.combined_spec import SpecConflict, combine
from common.http.spec_polish import operations, polish

ENV = {"APP_ENV": "test"}
SERVICES: dict[str, tuple[str, Callable[[], Flask]]] = {
    "auth": ("/api/users", lambda: auth_app(AuthSettings.from_env(ENV))),
    "tickets": ("/api/tickets", lambda: tickets_app(TicketsSettings.from_env(ENV))),
    "orders": ("/api/orders", lambda: orders_app(OrdersSettings.from_env(ENV))),
    "payments": ("/api/payments", lambda: payments_app(PaymentsSettings.from_env(ENV))),
    "webhooks": ("/api/webhooks", lambda: webhooks_app(WebhooksSettings.from_env(ENV))),
}
# Operations that answer every caller (no 4xx is theirs to document beyond the default).
NEVER_REFUSED = {("get", "/api/users/currentuser"), ("get", "/api/orders/waiting-room")}
CREATING_POSTS = {
    "/api/tickets",
    "/api/orders",
    "/api/orders/{order_id}/cancel",
    "/api/payments",
    "/api/webhooks/endpoints",
}


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    found = {}
    for name, (prefix, make) in SERVICES.items():
        response = make().test_client().get(f"{prefix}/openapi.json")
        assert response.status_code == 200
        found[name] = response.json
    return found


def test_every_operation_has_an_id_a_summary_examples_and_its_errors(
    documents: dict[str, dict[str, Any]],
) -> None:
    for name, document in documents.items():
        assert document["openapi"] == "3.1.0"
        for path, method, operation in operations(document):
            where = f"{name}: {method} {path}"
            assert operation["operationId"][:1].islower(), where
            assert "_" not in operation["operationId"], where
            assert operation.get("summary"), where
            responses = operation["responses"]
            assert "default" in responses, where
            if (method, path) not in NEVER_REFUSED:
                assert any(s.startswith("4") for s in responses), where
            for status, response in responses.items():
                for media in response.get("content", {}).values():
                    assert "example" in media, f"{where} {status}"
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                assert "example" in body, where


def test_operation_ids_are_unique_across_the_platform(
    documents: dict[str, dict[str, Any]],
) -> None:
    ids = [op["operationId"] for d in documents.values() for _, _, op in operations(d)]
    assert len(ids) == len(set(ids))


def test_every_creating_post_documents_the_idempotency_key(
    documents: dict[str, dict[str, Any]],
) -> None:
    combined = combine(list(documents.values()))
    for path in CREATING_POSTS:
        post = combined["paths"][path]["post"]
        assert "Idempotency-Key" in [p["name"] for p in post.get("parameters", [])], path
        created = next(r for s, r in post["responses"].items() if s.startswith("2"))
        assert "Idempotent-Replayed" in created["headers"], path


def test_nullable_enums_are_a_named_schema_or_null(documents: dict[str, dict[str, Any]]) -> None:
    schemas = documents["orders"]["components"]["schemas"]
    assert schemas["Order"]["properties"]["reason"]["anyOf"] == [
        {"$ref": "#/components/schemas/OrderReason"},
        {"type": "null"},
    ]
    assert schemas["OrderReason"] == {
        "type": "string",
        "enum": ["expired", "cancelled_by_buyer", "payment_declined", "price_changed"],
    }
    # The timeline's order shares the enum instead of repeating it.
    assert (
        schemas["TrackedOrder"]["properties"]["reason"] == schemas["Order"]["properties"]["reason"]
    )
    for document in documents.values():
        assert '"enum"' not in json.dumps(
            [s.get("properties", {}) for s in document["components"]["schemas"].values()]
        )


def test_the_combined_document_holds_every_path_once(
    documents: dict[str, dict[str, Any]],
) -> None:
    combined = combine(list(documents.values()))
    assert set(combined["paths"]) == {p for d in documents.values() for p in d["paths"]}
    assert (
        combined["components"]["schemas"]["Problem"]
        == (documents["auth"]["components"]["schemas"]["Problem"])
    )
    clash = polish({"paths": {}, "components": {"schemas": {"Problem": {"type": "string"}}}})
    with pytest.raises(SpecConflict):
        combine([documents["auth"], clash])
    with pytest.raises(SpecConflict):
        combine([documents["auth"], documents["auth"]])
