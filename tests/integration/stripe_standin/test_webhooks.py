"""Signed webhooks: verified by `stripe.Webhook.construct_event`, retried, duplicated, delayed."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import stripe

from devtools.stripe_standin.server import StandinServer
from devtools.stripe_standin.webhooks import signature_header
from tests.integration.stripe_standin.conftest import (
    API_KEY,
    WEBHOOK_SECRET,
    Receiver,
    card_payment,
    control,
)


def client_for(server: StandinServer) -> stripe.StripeClient:
    """The real client pointed at one stand-in."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": server.url})


def test_a_successful_payment_posts_a_verifiable_payment_intent_succeeded_event(
    client: stripe.StripeClient, receiver: Receiver
) -> None:
    intent = client.v1.payment_intents.create(
        params=card_payment(), options={"idempotency_key": "order-1-charge"}
    )

    delivery = receiver.wait_for(1)[0]
    event = stripe.Webhook.construct_event(delivery.body, delivery.signature, WEBHOOK_SECRET)

    assert event.type == "payment_intent.succeeded"
    assert event.id.startswith("evt_")
    assert event.object == "event"
    assert event.livemode is False
    assert isinstance(event.created, int)
    assert event.api_version
    assert event.request.idempotency_key == "order-1-charge"
    assert event.data.object.id == intent.id
    assert event.data.object.status == "succeeded"
    assert event.data.object.metadata["orderId"] == "order-1"
    assert delivery.headers["Content-Type"].startswith("application/json")


def test_the_client_verifies_the_signature_too(
    client: stripe.StripeClient, receiver: Receiver
) -> None:
    client.v1.payment_intents.create(params=card_payment())
    delivery = receiver.wait_for(1)[0]

    event = client.construct_event(delivery.body, delivery.signature, WEBHOOK_SECRET)

    assert event.type == "payment_intent.succeeded"


def test_a_wrong_secret_or_a_changed_body_fails_verification(
    client: stripe.StripeClient, receiver: Receiver
) -> None:
    client.v1.payment_intents.create(params=card_payment())
    delivery = receiver.wait_for(1)[0]

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery.body, delivery.signature, "whsec_wrong")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            delivery.body.replace(b"succeeded", b"failed"), delivery.signature, WEBHOOK_SECRET
        )


def test_the_signature_header_is_stripes_scheme() -> None:
    payload = b'{"id": "evt_1"}'

    header = signature_header(payload, WEBHOOK_SECRET, 1_700_000_000)

    assert header.startswith("t=1700000000,v1=")
    assert stripe.WebhookSignature.verify_header(payload, header, WEBHOOK_SECRET, tolerance=None)


def test_a_decline_posts_payment_intent_payment_failed(
    client: stripe.StripeClient, receiver: Receiver
) -> None:
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.create(
            params=card_payment(payment_method="pm_card_insufficientFunds")
        )

    delivery = receiver.wait_for(1)[0]
    event = stripe.Webhook.construct_event(delivery.body, delivery.signature, WEBHOOK_SECRET)

    assert event.type == "payment_intent.payment_failed"
    assert event.data.object.status == "requires_payment_method"
    assert event.data.object.last_payment_error.decline_code == "insufficient_funds"


def test_a_refund_posts_charge_refunded(client: stripe.StripeClient, receiver: Receiver) -> None:
    intent = client.v1.payment_intents.create(params=card_payment())
    receiver.wait_for(1)
    client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 700})

    delivery = receiver.wait_for(2)[1]
    event = stripe.Webhook.construct_event(delivery.body, delivery.signature, WEBHOOK_SECRET)

    assert event.type == "charge.refunded"
    assert event.data.object.object == "charge"
    assert event.data.object.id == intent.latest_charge
    assert event.data.object.payment_intent == intent.id
    assert event.data.object.amount_refunded == 700
    assert event.data.object.refunded is False
    assert event.data.previous_attributes.amount_refunded == 0


def test_failed_deliveries_are_retried_with_the_same_event(
    make_standin: Callable[..., StandinServer], receiver: Receiver
) -> None:
    receiver.statuses = [500, 503]
    server = make_standin(webhook_url=receiver.url, webhook_secret=WEBHOOK_SECRET)
    client_for(server).v1.payment_intents.create(params=card_payment())

    deliveries = receiver.wait_for(3)

    bodies = {d.body for d in deliveries}
    assert len(bodies) == 1
    for delivery in deliveries:
        stripe.Webhook.construct_event(delivery.body, delivery.signature, WEBHOOK_SECRET)
    # The receiver has the third delivery before the stand-in has recorded its answer.
    control(server, "/_standin/webhooks/wait", {"timeoutMs": 5000})
    attempts = control(server, "/_standin/webhooks")["attempts"]
    assert [(a["attempt"], a["status"]) for a in attempts] == [(1, 500), (2, 503), (3, 200)]


def test_an_unreachable_endpoint_is_retried_then_given_up(
    make_standin: Callable[..., StandinServer],
) -> None:
    server = make_standin(
        webhook_url="http://127.0.0.1:9/nowhere",
        webhook_secret=WEBHOOK_SECRET,
        webhook_retries=2,
        webhook_backoff_ms=10,
    )
    client_for(server).v1.payment_intents.create(params=card_payment())

    state = control(server, "/_standin/webhooks/wait", {"timeoutMs": 5000})

    assert state["idle"] is True
    assert [a["attempt"] for a in state["attempts"]] == [1, 2, 3]
    assert all(a["error"] for a in state["attempts"])


def test_the_duplicates_knob_delivers_each_event_twice(
    make_standin: Callable[..., StandinServer], receiver: Receiver
) -> None:
    server = make_standin(
        webhook_url=receiver.url, webhook_secret=WEBHOOK_SECRET, webhook_duplicates=1
    )
    client_for(server).v1.payment_intents.create(params=card_payment())

    first, second = receiver.events(2)

    assert first["id"] == second["id"]
    assert first == second


def test_the_delay_knob_holds_deliveries_back_without_slowing_the_api(
    make_standin: Callable[..., StandinServer], receiver: Receiver
) -> None:
    server = make_standin(
        webhook_url=receiver.url, webhook_secret=WEBHOOK_SECRET, webhook_delay_ms=1000
    )
    started = time.monotonic()
    client_for(server).v1.payment_intents.create(params=card_payment())
    answered = time.monotonic() - started

    receiver.wait_for(1)
    delivered = time.monotonic() - started

    assert answered < 1.0
    assert delivered >= 1.0


def test_webhooks_can_be_reconfigured_at_run_time(
    make_standin: Callable[..., StandinServer], receiver: Receiver
) -> None:
    server = make_standin()
    client = client_for(server)
    client.v1.payment_intents.create(params=card_payment())

    settings = control(
        server,
        "/_standin/webhooks",
        {"url": receiver.url, "secret": "whsec_later", "duplicates": 1},
    )["settings"]
    client.v1.payment_intents.create(params=card_payment())

    assert settings["url"] == receiver.url
    assert settings["secretSet"] is True
    deliveries = receiver.wait_for(2)
    for delivery in deliveries:
        stripe.Webhook.construct_event(delivery.body, delivery.signature, "whsec_later")
    assert len(control(server, "/_standin/events")["data"]) == 2
