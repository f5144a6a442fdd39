"""Refunds through the real stripe client, and the charge they leave refunded."""

from __future__ import annotations

import pytest
import stripe

from tests.integration.stripe_standin.conftest import card_payment


def test_refunding_a_payment_intent_refunds_its_charge(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(params=card_payment())

    refund = client.v1.refunds.create(
        params={
            "payment_intent": intent.id,
            "reason": "requested_by_customer",
            "metadata": {"orderId": "order-1"},
        }
    )

    assert refund.object == "refund"
    assert refund.id.startswith("re_")
    assert refund.status == "succeeded"
    assert refund.amount == 2000
    assert refund.currency == "usd"
    assert refund.charge == intent.latest_charge
    assert refund.payment_intent == intent.id
    assert refund.reason == "requested_by_customer"
    assert refund.metadata["orderId"] == "order-1"
    after = client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge"]})
    assert after.status == "succeeded"
    assert after.latest_charge.refunded is True
    assert after.latest_charge.amount_refunded == 2000


def test_partial_refunds_add_up_to_the_charge(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(params=card_payment())

    first = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 500})
    rest = client.v1.refunds.create(params={"charge": str(intent.latest_charge)})

    assert (first.amount, rest.amount) == (500, 1500)
    charge = client.v1.payment_intents.retrieve(
        intent.id, params={"expand": ["latest_charge"]}
    ).latest_charge
    assert charge.refunded is True
    assert charge.amount_refunded == 2000


def test_refunding_more_than_is_left_is_refused(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(params=card_payment())

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 2001})

    assert raised.value.code == "amount_too_large"
    assert raised.value.param == "amount"


def test_a_refunded_charge_cannot_be_refunded_again(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(params=card_payment())
    client.v1.refunds.create(params={"payment_intent": intent.id})

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": intent.id})

    assert raised.value.code == "charge_already_refunded"


def test_a_declined_payment_has_nothing_to_refund(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.create(
            params=card_payment(payment_method="pm_card_chargeDeclined")
        )
    assert declined.value.error is not None
    intent_id = declined.value.error.payment_intent.id

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": intent_id})

    assert raised.value.user_message == (
        f"This PaymentIntent ({intent_id}) does not have a successful charge to refund."
    )


def test_refunding_an_unknown_intent_is_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": "pi_nope"})

    assert raised.value.code == "resource_missing"
    assert raised.value.param == "payment_intent"


def test_refund_reason_must_be_one_stripe_knows(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(params=card_payment())

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(
            params={"payment_intent": intent.id, "reason": "changed_mind"}  # type: ignore[typeddict-item]  # a value the stubs do not list
        )

    assert raised.value.param == "reason"
