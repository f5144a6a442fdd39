"""Idempotency keys as Stripe applies them: replay, mismatch, and one object under concurrency."""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import stripe

from devtools.stripe_standin.server import StandinServer
from tests.integration.stripe_standin.conftest import API_KEY, card_payment, control


def payment_intents(server: StandinServer) -> list[dict[str, object]]:
    """Every PaymentIntent the stand-in holds."""
    return list(control(server, "/_standin/payment_intents")["data"])


def test_same_key_and_parameters_replays_the_first_response(
    client: stripe.StripeClient, standin: StandinServer
) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "order-1-charge"}

    first = client.v1.payment_intents.create(params=card_payment(), options=options)
    again = client.v1.payment_intents.create(params=card_payment(), options=options)

    assert again.id == first.id
    assert again.latest_charge == first.latest_charge
    assert again.to_dict() == first.to_dict()
    assert first.last_response.headers.get("Idempotent-Replayed") is None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert again.last_response.headers["Original-Request"] == first.last_response.request_id
    assert again.last_response.idempotency_key == "order-1-charge"
    assert len(payment_intents(standin)) == 1
    assert len(control(standin, "/_standin/charges")["data"]) == 1


def test_same_key_with_other_parameters_is_an_idempotency_error(
    client: stripe.StripeClient, standin: StandinServer
) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "order-2-charge"}
    client.v1.payment_intents.create(params=card_payment(), options=options)

    with pytest.raises(stripe.IdempotencyError) as raised:
        client.v1.payment_intents.create(params=card_payment(amount=2100), options=options)

    assert raised.value.http_status == 400
    assert raised.value.error is not None
    assert raised.value.error.type == "idempotency_error"
    assert str(raised.value.user_message).startswith(
        "Keys for idempotent requests can only be used with the same parameters they were "
        "first used with."
    )
    assert len(payment_intents(standin)) == 1


def test_same_key_on_another_endpoint_is_an_idempotency_error(
    client: stripe.StripeClient,
) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "shared-key"}
    intent = client.v1.payment_intents.create(params=card_payment(), options=options)

    with pytest.raises(stripe.IdempotencyError) as raised:
        client.v1.refunds.create(params={"payment_intent": intent.id}, options=options)

    assert "same endpoint" in str(raised.value.user_message)


def test_a_declined_attempt_is_replayed_as_the_same_decline(
    client: stripe.StripeClient, standin: StandinServer
) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "order-3-charge"}
    params = card_payment(payment_method="pm_card_chargeDeclined")
    errors = []
    for _ in range(2):
        with pytest.raises(stripe.CardError) as raised:
            client.v1.payment_intents.create(params=params, options=options)
        errors.append(raised.value)

    assert errors[0].json_body == errors[1].json_body
    assert errors[1].headers is not None
    assert errors[1].headers["Idempotent-Replayed"] == "true"
    assert len(payment_intents(standin)) == 1


def test_an_invalid_request_is_not_saved_so_the_key_can_be_used_again(
    client: stripe.StripeClient,
) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "order-4-charge"}
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.create(params=card_payment(amount=1), options=options)

    intent = client.v1.payment_intents.create(params=card_payment(), options=options)

    assert intent.status == "succeeded"


def test_twenty_concurrent_requests_with_one_key_create_one_payment_intent(
    standin: StandinServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="devtools.stripe_standin")
    start = threading.Barrier(20)

    def pay(_: int) -> str:
        client = stripe.StripeClient(API_KEY, base_addresses={"api": standin.url})
        start.wait()
        intent = client.v1.payment_intents.create(
            params=card_payment(), options={"idempotency_key": "order-5-charge"}
        )
        return intent.id

    with ThreadPoolExecutor(max_workers=20) as pool:
        ids = set(pool.map(pay, range(20)))

    assert len(ids) == 1
    assert len(payment_intents(standin)) == 1
    assert len(control(standin, "/_standin/charges")["data"]) == 1
    # Only the stand-in's own lines: the stripe client logs too when another test turned it up.
    lines = [
        json.loads(r.getMessage())
        for r in caplog.records
        if r.name.startswith("devtools.stripe_standin")
    ]
    creates = [line for line in lines if line.get("path") == "/v1/payment_intents"]
    assert sorted(line["replayed"] for line in creates) == [False] + [True] * 19


def test_keys_are_scoped_to_the_api_key(standin: StandinServer) -> None:
    def pay(api_key: str) -> str:
        client = stripe.StripeClient(api_key, base_addresses={"api": standin.url})
        return client.v1.payment_intents.create(
            params=card_payment(), options={"idempotency_key": "same-key"}
        ).id

    assert pay("sk_test_account_a") != pay("sk_test_account_b")


def test_requests_without_a_key_of_ours_still_create_one_object_each(
    client: stripe.StripeClient, standin: StandinServer
) -> None:
    first = client.v1.payment_intents.create(params=card_payment())
    second = client.v1.payment_intents.create(params=card_payment())

    assert first.id != second.id
    assert first.last_response.idempotency_key != second.last_response.idempotency_key
    assert len(payment_intents(standin)) == 2
