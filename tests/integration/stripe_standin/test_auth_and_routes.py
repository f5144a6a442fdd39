"""API keys, unknown routes and Stripe's wire encoding, checked with the client and raw HTTP."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
import stripe

from devtools.stripe_standin.server import StandinServer
from tests.integration.stripe_standin.conftest import API_KEY, card_payment


def raw(
    server: StandinServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """One raw HTTP call: status, JSON body, headers."""
    request = urllib.request.Request(  # noqa: S310 - local http URL
        server.url + path, data=body, method=method, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - local URL
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


BEARER = {"Authorization": f"Bearer {API_KEY}"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_a_bad_api_key_raises_authentication_error(standin: StandinServer) -> None:
    client = stripe.StripeClient("sk_live_not_here_1234", base_addresses={"api": standin.url})

    with pytest.raises(stripe.AuthenticationError) as raised:
        client.v1.payment_intents.create(params=card_payment())

    assert raised.value.http_status == 401
    assert str(raised.value.user_message).startswith("Invalid API Key provided: sk_live_")
    assert str(raised.value.user_message).endswith("1234")


def test_a_missing_api_key_is_a_401(standin: StandinServer) -> None:
    status, body, _ = raw(standin, "GET", "/v1/payment_intents/pi_1")

    assert status == 401
    assert body["error"]["message"].startswith("You did not provide an API key.")


def test_basic_auth_with_the_key_as_user_is_accepted(standin: StandinServer) -> None:
    token = base64.b64encode(f"{API_KEY}:".encode()).decode()

    status, body, _ = raw(
        standin, "GET", "/v1/payment_intents/pi_1", headers={"Authorization": f"Basic {token}"}
    )

    assert status == 404
    assert body["error"]["code"] == "resource_missing"


def test_a_pinned_api_key_refuses_other_test_keys(
    make_standin: Callable[..., StandinServer],
) -> None:
    server = make_standin(api_key="sk_test_only_this_one")
    other = stripe.StripeClient("sk_test_another_key", base_addresses={"api": server.url})
    pinned = stripe.StripeClient("sk_test_only_this_one", base_addresses={"api": server.url})

    with pytest.raises(stripe.AuthenticationError):
        other.v1.payment_intents.create(params=card_payment())
    assert pinned.v1.payment_intents.create(params=card_payment()).status == "succeeded"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/customers"), ("POST", "/v1/charges"), ("GET", "/v1/refunds"), ("GET", "/")],
)
def test_unknown_routes_are_stripes_404(standin: StandinServer, method: str, path: str) -> None:
    status, body, _ = raw(standin, method, path, b"" if method == "POST" else None, BEARER)

    assert status == 404
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"].startswith(f"Unrecognized request URL ({method}: {path})")


def test_the_client_raises_invalid_request_error_for_an_unknown_route(
    client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.raw_request("get", "/v1/customers")

    assert raised.value.http_status == 404


def test_bracket_encoded_forms_are_read_like_stripe_reads_them(standin: StandinServer) -> None:
    body = (
        b"amount=2000&currency=usd&payment_method=pm_card_visa&confirm=true"
        b"&payment_method_types[]=card&metadata[orderId]=o-7&expand[]=latest_charge"
    )

    status, intent, headers = raw(
        standin, "POST", "/v1/payment_intents", body, {**BEARER, **FORM, "Idempotency-Key": "k"}
    )

    assert status == 200
    assert intent["metadata"] == {"orderId": "o-7"}
    assert intent["latest_charge"]["object"] == "charge"
    assert headers["Request-Id"].startswith("req_")
    assert headers["Idempotency-Key"] == "k"


def test_json_bodies_are_refused_like_stripe_refuses_them(standin: StandinServer) -> None:
    body = json.dumps({"amount": 2000, "currency": "usd"}).encode()

    status, answer, _ = raw(
        standin,
        "POST",
        "/v1/payment_intents",
        body,
        {**BEARER, "Content-Type": "application/json"},
    )

    assert status == 400
    assert "unsupported Content-Type application/json" in answer["error"]["message"]


def test_controls_list_everything_and_reset_forgets_it(
    client: stripe.StripeClient, standin: StandinServer
) -> None:
    intent = client.v1.payment_intents.create(params=card_payment())

    for kind, count in [("payment_intents", 1), ("charges", 1), ("payment_methods", 1)]:
        status, listing, _ = raw(standin, "GET", f"/_standin/{kind}")
        assert (status, listing["count"]) == (200, count)
    assert raw(standin, "GET", "/_standin/payment_intents")[1]["data"][0]["id"] == intent.id
    assert raw(standin, "POST", "/_standin/reset", b"")[0] == 200
    assert raw(standin, "GET", "/_standin/payment_intents")[1]["count"] == 0
    assert raw(standin, "GET", "/_standin/health")[1]["ok"] is True
    assert raw(standin, "GET", "/_standin/nothing")[0] == 404
