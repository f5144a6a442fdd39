"""Finding 8: operational endpoints, secrets, redirects, HSTS and cookie lifetimes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from api.tickets.app import create_app as create_tickets_app
from api.tickets.config import TicketsSettings
from tests.e2e.local_stack.conftest import RunningGateway, gateway, upstreams  # noqa: F401 (fixtures)
from tests.integration.charts.conftest import RELEASE, helm, render, render_text  # noqa: F401 (fixtures)
from web.app import create_app as create_web_app
from web.config import WebSettings
from web.operations import OPERATIONS_PATHS

PASSWORD = "correct horse battery"


@pytest.mark.parametrize("path", sorted(OPERATIONS_PATHS))
def test_the_gateways_do_not_route_the_webs_health_and_metrics(
    path: str,
    gateway: RunningGateway,  # noqa: F811 (the imported fixture)
) -> None:
    response = requests.get(f"{gateway.url}{path}", timeout=5)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert requests.get(f"{gateway.url}/tickets", timeout=5).json()["upstream"] == "web"


@pytest.mark.parametrize("path", sorted(OPERATIONS_PATHS))
def test_the_web_answers_health_and_metrics_only_to_direct_callers(
    path: str, browser: FlaskClient
) -> None:
    assert browser.get(path).status_code == 200
    forwarded = browser.get(path, headers={"X-Forwarded-For": "203.0.113.1"})
    assert forwarded.status_code == 404


def test_the_session_key_is_mounted_only_into_the_web(
    render: Callable[..., list[dict[str, Any]]],  # noqa: F811 (the imported fixture)
) -> None:
    deployments = [m for m in render() if m["kind"] == "Deployment"]
    holders = set()
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        env = [e["name"] for c in pod["containers"] for e in c.get("env", [])]
        files = [
            item["path"]
            for volume in pod.get("volumes", [])
            for source in volume.get("projected", {}).get("sources", [])
            for item in source.get("secret", {}).get("items", [])
        ]
        if "SECRET_KEY_FILE" in env or "secret-key" in files:
            holders.add(deployment["metadata"]["name"])
    assert holders == {f"{RELEASE}-ticketing-web"}


def test_slash_redirects_stay_on_this_site_whatever_the_host_header(
    browser: FlaskClient, service_env: Callable[..., dict[str, str]]
) -> None:
    tickets = create_tickets_app(TicketsSettings.from_env(service_env("tickets"))).test_client()
    for client, path in ((browser, "//tickets//mine"), (tickets, "/api//tickets//mine")):
        response = client.get(path, headers={"Host": "evil.example"})
        assert response.status_code == 308, path
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//"), location
        assert "evil.example" not in location


def test_hsts_is_sent_over_https_and_in_production(
    browser: FlaskClient, web_env: dict[str, str], rsa_keys: dict[str, str]
) -> None:
    assert "Strict-Transport-Security" not in browser.get("/healthz").headers
    over_https = browser.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert over_https.headers["Strict-Transport-Security"].startswith("max-age=")
    production = create_web_app(
        WebSettings.from_env(
            {
                **web_env,
                "APP_ENV": "production",
                "SECRET_KEY": "s" * 40,
                "JWT_COOKIE_SECURE": "true",
                "JWT_PUBLIC_KEY": rsa_keys["public"],
            }
        )
    )
    hsts = production.test_client().get("/healthz").headers["Strict-Transport-Security"]
    assert hsts == "max-age=31536000; includeSubDomains"


def max_ages(set_cookies: list[str]) -> dict[str, int]:
    ages = {}
    for header in set_cookies:
        name = header.split("=", 1)[0]
        for attribute in header.split(";"):
            key, _, value = attribute.strip().partition("=")
            if key.lower() == "max-age":
                ages[name] = int(value)
    return ages


def test_session_cookies_live_as_long_as_their_tokens(make_auth: Callable[..., Flask]) -> None:
    client = make_auth(JWT_ACCESS_EXPIRES_SECONDS="600", JWT_REFRESH_EXPIRES_SECONDS="86400")
    response = client.test_client().post(
        "/api/users/signup", json={"email": "ann@example.com", "password": PASSWORD}
    )
    assert max_ages(response.headers.getlist("Set-Cookie")) == {
        "access_token_cookie": 600,
        "csrf_access_token": 600,
        "refresh_token_cookie": 86400,
        "csrf_refresh_token": 86400,
    }
