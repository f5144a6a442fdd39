"""Injected faults, as our retry logic will meet them: 5xx, 429, dropped and hung connections."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
import stripe

from devtools.stripe_standin.server import StandinServer
from tests.integration.stripe_standin.conftest import API_KEY, card_payment, control


def retrying_client(
    server: StandinServer, retries: int, timeout: float = 80
) -> stripe.StripeClient:
    """A client with network retries (the stripe client's own backoff is 0.5 s and up)."""
    return stripe.StripeClient(
        API_KEY,
        base_addresses={"api": server.url},
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def created(server: StandinServer) -> int:
    """How many PaymentIntents exist."""
    return int(control(server, "/_standin/payment_intents")["count"])


def test_armed_500s_raise_api_error_then_calls_work_again(
    client: stripe.StripeClient, standin: StandinServer
) -> None:
    control(standin, "/_standin/faults", {"failNext": 2, "status": 500})

    for _ in range(2):
        with pytest.raises(stripe.APIError) as raised:
            client.v1.payment_intents.create(params=card_payment())
        assert raised.value.http_status == 500
        assert raised.value.error is not None
        assert raised.value.error.type == "api_error"

    assert client.v1.payment_intents.create(params=card_payment()).status == "succeeded"
    assert created(standin) == 1
    assert control(standin, "/_standin/faults")["fired"] == 2


def test_the_client_retries_5xx_when_told_to_and_charges_once(standin: StandinServer) -> None:
    control(standin, "/_standin/faults", {"failNext": 1, "status": 503})

    intent = retrying_client(standin, 2).v1.payment_intents.create(params=card_payment())

    assert intent.status == "succeeded"
    assert created(standin) == 1


def test_the_client_does_not_retry_by_default(
    client: stripe.StripeClient, standin: StandinServer
) -> None:
    control(standin, "/_standin/faults", {"failNext": 1, "status": 503})

    with pytest.raises(stripe.APIError):
        client.v1.payment_intents.create(params=card_payment())

    assert control(standin, "/_standin/faults")["remaining"] == 0


def test_a_response_lost_after_the_charge_is_replayed_on_retry(standin: StandinServer) -> None:
    control(standin, "/_standin/faults", {"failNext": 1, "status": 500, "when": "after"})
    options: stripe.RequestOptions = {"idempotency_key": "order-9-charge"}

    intent = retrying_client(standin, 1).v1.payment_intents.create(
        params=card_payment(), options=options
    )

    assert intent.last_response.headers["Idempotent-Replayed"] == "true"
    assert created(standin) == 1


def test_a_dropped_connection_raises_api_connection_error(
    client: stripe.StripeClient, standin: StandinServer
) -> None:
    control(standin, "/_standin/faults", {"failNext": 1, "mode": "close"})

    with pytest.raises(stripe.APIConnectionError):
        client.v1.payment_intents.create(params=card_payment())

    assert created(standin) == 0


def test_a_hung_call_times_out_as_api_connection_error(standin: StandinServer) -> None:
    control(standin, "/_standin/faults", {"failNext": 1, "mode": "hang", "hangMs": 1500})

    with pytest.raises(stripe.APIConnectionError):
        retrying_client(standin, 0, timeout=0.3).v1.payment_intents.create(params=card_payment())


def test_a_charge_made_before_the_connection_dropped_is_not_repeated(
    standin: StandinServer,
) -> None:
    control(standin, "/_standin/faults", {"failNext": 1, "mode": "close", "when": "after"})
    client = retrying_client(standin, 0)
    options: stripe.RequestOptions = {"idempotency_key": "order-10-charge"}

    with pytest.raises(stripe.APIConnectionError):
        client.v1.payment_intents.create(params=card_payment(), options=options)
    assert created(standin) == 1
    intent = client.v1.payment_intents.create(params=card_payment(), options=options)

    assert intent.status == "succeeded"
    assert created(standin) == 1


def test_429_raises_rate_limit_error(client: stripe.StripeClient, standin: StandinServer) -> None:
    control(standin, "/_standin/faults", {"failNext": 1, "status": 429})

    with pytest.raises(stripe.RateLimitError):
        client.v1.payment_intents.create(params=card_payment())


def test_faults_can_target_one_endpoint_and_be_disarmed(
    client: stripe.StripeClient, standin: StandinServer
) -> None:
    intent = client.v1.payment_intents.create(params=card_payment())
    control(standin, "/_standin/faults", {"failNext": 5, "pathPrefix": "/v1/refunds"})

    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    with pytest.raises(stripe.APIError):
        client.v1.refunds.create(params={"payment_intent": intent.id})
    request = urllib.request.Request(standin.url + "/_standin/faults", method="DELETE")  # noqa: S310 - local http URL
    with urllib.request.urlopen(request, timeout=5):  # noqa: S310 - local test URL
        pass

    assert client.v1.refunds.create(params={"payment_intent": intent.id}).status == "succeeded"


@pytest.mark.parametrize(
    "spec",
    [{"failNext": -1}, {"status": 200}, {"mode": "explode"}, {"when": "later"}, {"bogus": 1}],
)
def test_nonsense_fault_specs_are_refused(standin: StandinServer, spec: dict[str, object]) -> None:
    with pytest.raises(urllib.error.HTTPError) as raised:
        control(standin, "/_standin/faults", spec)

    assert raised.value.code == 400
