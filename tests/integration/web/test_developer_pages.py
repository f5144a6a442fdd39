"""For developers: the combined document, its Swagger UI, and the API keys page."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from tests.integration.web.pages import alert, csrf_token, sign_up, text


def test_the_combined_document_merges_the_running_services(browser: FlaskClient) -> None:
    response = browser.get("/developers/openapi.json")

    assert response.status_code == 200
    document = response.json
    assert document["openapi"] == "3.1.0"
    assert {"/api/users/signup", "/api/tickets", "/api/orders"} <= set(document["paths"])
    assert document["paths"]["/api/orders"]["post"]["operationId"] == "createOrder"
    assert "OrderReason" in document["components"]["schemas"]


def test_a_service_that_cannot_be_reached_is_a_503_problem(
    make_web: Callable[..., Flask],
) -> None:
    client = make_web(GATEWAY_URL="http://127.0.0.1:9").test_client()
    response = client.get("/developers/openapi.json")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"][0]["message"]


def test_the_docs_page_serves_swagger_ui_from_the_site(browser: FlaskClient) -> None:
    page = text(browser.get("/developers/docs"))
    assert 'data-spec-url="/developers/openapi.json"' in page
    for asset in re.findall(r'(?:src|href)="(/developers/docs/assets/[^"]+)"', page):
        assert browser.get(asset).status_code == 200
    assert "https://" not in page
    assert "/developers/docs" in text(browser.get("/developers"))


def test_the_api_keys_page_creates_shows_once_and_revokes(browser: FlaskClient) -> None:
    sign_up(browser, "keys@example.com")
    page = text(browser.get("/account/api-keys"))
    created = browser.post(
        "/account/api-keys",
        data={
            "name": "Shop sync",
            "scopes": ["read", "write:orders"],
            "csrf_token": csrf_token(page),
        },
    )
    assert created.status_code == 200
    key = re.search(r'class="api-key">(tkt_[^<]+)<', text(created))
    assert key, text(created)[:2000]
    listed = text(browser.get("/account/api-keys"))
    assert key.group(1) not in listed
    assert "read, write:orders" in listed
    key_id = re.search(r"/account/api-keys/([0-9a-f-]{36})/revoke", listed)
    assert key_id
    revoked = browser.post(
        f"/account/api-keys/{key_id.group(1)}/revoke",
        data={"csrf_token": csrf_token(listed)},
        follow_redirects=True,
    )
    assert "The key is revoked." in text(revoked)
    assert 'class="key-revoked"' in text(revoked)


def test_a_key_without_scopes_is_refused_on_the_form(browser: FlaskClient) -> None:
    sign_up(browser, "noscope@example.com")
    page = text(browser.get("/account/api-keys"))
    refused = browser.post("/account/api-keys", data={"name": "x", "csrf_token": csrf_token(page)})
    assert refused.status_code == 422
    assert alert(text(refused))
