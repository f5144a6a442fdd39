"""Finding 4: sign-ins count the real client, and only trusted proxies may say who that is."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from common.http.proxies import client_address, parse_networks
from tests.integration.web.pages import submit

SIGNIN_IP_LIMIT = 3
WRONG = 422


@pytest.fixture
def api_env(service_env: Callable[..., dict[str, str]]) -> dict[str, dict[str, str]]:
    """The web suite's APIs, with a small sign-in budget per client address."""
    return {
        "auth": service_env("auth", signer=True, SIGNIN_IP_LIMIT=str(SIGNIN_IP_LIMIT)),
        "tickets": service_env("tickets"),
        "orders": service_env("orders"),
    }


def visitor(web_app: Flask, address: str) -> FlaskClient:
    browser = web_app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def wrong_signin(browser: FlaskClient, email: str) -> int:
    data = {"email": email, "password": "not the password"}
    return submit(browser, "/signin", data, form_page="/signin").status_code


def test_web_signins_count_each_visitors_own_address(web_app: Flask) -> None:
    attacker = visitor(web_app, "203.0.113.5")
    statuses = [wrong_signin(attacker, f"u{i}@example.com") for i in range(SIGNIN_IP_LIMIT + 2)]
    # The form answers a wrong password with 422 and the limit with 429.
    assert statuses == [WRONG] * SIGNIN_IP_LIMIT + [429] * 2
    limited = submit(
        attacker, "/signin", {"email": "x@example.com", "password": "x"}, form_page="/signin"
    )
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # Everyone else signs in through the same web (and gateway) as before.
    assert wrong_signin(visitor(web_app, "198.51.100.7"), "me@example.com") == WRONG


def test_a_direct_caller_cannot_pick_its_address_with_x_forwarded_for(
    make_auth: Callable[..., Flask],
) -> None:
    client = make_auth(SIGNIN_IP_LIMIT=str(SIGNIN_IP_LIMIT)).test_client()
    statuses = [
        client.post(
            "/api/users/signin",
            json={"email": "x@example.com", "password": "wrong"},
            headers={"X-Forwarded-For": f"10.9.8.{i}"},
            environ_base={"REMOTE_ADDR": "203.0.113.9"},
        ).status_code
        for i in range(SIGNIN_IP_LIMIT + 2)
    ]
    assert statuses == [401] * SIGNIN_IP_LIMIT + [429] * 2


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not a proxy of ours: header ignored
        ("127.0.0.1", "1.2.3.4", "1.2.3.4"),  # our proxy says who called it
        ("127.0.0.1", "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # the client's own entry proves nothing
        ("127.0.0.1", "1.2.3.4, 127.0.0.1", "1.2.3.4"),  # web → gateway: both trusted hops
        ("127.0.0.1", "garbage, 127.0.0.1", "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1"),
    ],
)
def test_the_client_is_the_first_untrusted_hop_from_the_right(
    remote: str, forwarded: str, client: str
) -> None:
    assert client_address(remote, forwarded, parse_networks("127.0.0.0/8,::1/128")) == client
