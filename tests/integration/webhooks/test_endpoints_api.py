"""The endpoints API: register, list, update, delete, roll secrets; URLs that are refused."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.webhooks.app import create_app
from api.webhooks.config import WebhooksSettings
from common.errors import ConfigurationError
from tests.integration.webhooks.conftest import Auth

PUBLIC_URL = "http://93.184.216.34/hooks"  # an IP literal: public, and no DNS needed
REFUSED_EVERYWHERE = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "ftp://example.com/hooks",
    "http://user:secret@93.184.216.34/",
    "http://93.184.216.34:99999/",
    "not a url",
    "http://does-not-resolve.invalid/",
]
PRIVATE = [
    "http://127.0.0.1:8080/hooks",
    "http://localhost/hooks",
    "http://10.0.0.5/",
    "http://172.16.3.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://169.254.10.10/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[fe80::1]/",
    "http://0.0.0.0/",
    "http://2130706433/",
]


def register(client: FlaskClient, headers: dict[str, str], url: str = PUBLIC_URL) -> Any:
    response = client.post(
        "/api/webhooks/endpoints",
        json={"url": url, "events": ["order.completed", "ticket.sold"], "description": "shop"},
        headers=headers,
    )
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def test_an_endpoint_is_registered_with_a_secret_shown_only_then(
    client: FlaskClient, auth: Auth
) -> None:
    headers = auth(uuid.uuid4())
    created = register(client, headers)

    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["order.completed", "ticket.sold"]
    listed = client.get("/api/webhooks/endpoints", headers=headers).json["items"]
    assert [e["id"] for e in listed] == [created["id"]]
    assert "secret" not in listed[0]
    shown = client.get(f"/api/webhooks/endpoints/{created['id']}", headers=headers).json
    assert "secret" not in shown


def test_only_the_owner_sees_changes_or_deletes_an_endpoint(
    client: FlaskClient, auth: Auth
) -> None:
    created = register(client, auth(uuid.uuid4()))
    other = auth(uuid.uuid4())
    path = f"/api/webhooks/endpoints/{created['id']}"
    assert client.get(path, headers=other).status_code == 403
    assert client.delete(path, headers=other).status_code == 403
    assert client.get("/api/webhooks/endpoints", headers=other).json["items"] == []
    assert client.get("/api/webhooks/endpoints").status_code == 401


def test_an_endpoint_is_updated_and_deleted(client: FlaskClient, auth: Auth) -> None:
    headers = auth(uuid.uuid4())
    created = register(client, headers)
    path = f"/api/webhooks/endpoints/{created['id']}"
    body = {"url": "http://93.184.216.35/new", "events": ["order.cancelled"]}
    updated = client.put(path, json=body, headers=headers)
    assert updated.status_code == 200
    assert (updated.json["url"], updated.json["events"]) == (body["url"], body["events"])
    assert client.delete(path, headers=headers).status_code == 204
    assert client.get(path, headers=headers).status_code == 404


def test_rolling_the_secret_gives_a_new_one(client: FlaskClient, auth: Auth) -> None:
    headers = auth(uuid.uuid4())
    created = register(client, headers)
    rolled = client.post(
        f"/api/webhooks/endpoints/{created['id']}/roll-secret", json={}, headers=headers
    )
    assert rolled.status_code == 200
    assert rolled.json["secret"].startswith("whsec_")
    assert rolled.json["secret"] != created["secret"]
    too_long = client.post(
        f"/api/webhooks/endpoints/{created['id']}/roll-secret",
        json={"keepPreviousSeconds": 10**9},
        headers=headers,
    )
    assert too_long.status_code == 422


@pytest.mark.parametrize(
    "events", [[], ["order.shipped"], "order.created", [1]], ids=["none", "unknown", "str", "int"]
)
def test_events_must_be_chosen_from_the_catalogue(
    client: FlaskClient, auth: Auth, events: object
) -> None:
    response = client.post(
        "/api/webhooks/endpoints",
        json={"url": PUBLIC_URL, "events": events},
        headers=auth(uuid.uuid4()),
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"][0]["field"].startswith("events")


@pytest.mark.parametrize("url", REFUSED_EVERYWHERE + PRIVATE)
def test_by_default_urls_into_our_own_network_are_refused(
    webhooks_env: dict[str, str], auth: Auth, url: str
) -> None:
    settings = WebhooksSettings.from_env(
        {**webhooks_env, "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "false"}
    )
    client = create_app(settings).test_client()
    response = client.post(
        "/api/webhooks/endpoints",
        json={"url": url, "events": ["order.created"]},
        headers=auth(uuid.uuid4()),
    )
    assert response.status_code == 422, url
    assert response.json["errors"][0]["field"] == "url"


@pytest.mark.parametrize("url", REFUSED_EVERYWHERE)
def test_metadata_addresses_stay_refused_even_where_private_targets_are_allowed(
    client: FlaskClient, auth: Auth, url: str
) -> None:
    response = client.post(
        "/api/webhooks/endpoints",
        json={"url": url, "events": ["order.created"]},
        headers=auth(uuid.uuid4()),
    )
    assert response.status_code == 422


def test_production_refuses_to_allow_private_targets_and_requires_https(
    webhooks_env: dict[str, str],
) -> None:
    production = {
        **webhooks_env,
        "APP_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "JWT_COOKIE_SECURE": "true",
    }
    with pytest.raises(ConfigurationError, match="WEBHOOKS_ALLOW_PRIVATE_TARGETS"):
        WebhooksSettings.from_env(production)
    settings = WebhooksSettings.from_env({**production, "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "false"})
    assert settings.require_https and not settings.allow_private_targets


def test_the_spec_lists_every_operation_with_the_idempotency_header(client: FlaskClient) -> None:
    spec = client.get("/api/webhooks/openapi.json").json
    create = spec["paths"]["/api/webhooks/endpoints"]["post"]
    assert create["operationId"] == "createWebhookEndpoint"
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    assert spec["components"]["schemas"]["WebhookEventType"]["enum"] == [
        "order.created",
        "order.completed",
        "order.cancelled",
        "ticket.sold",
        "payment.refunded",
    ]
