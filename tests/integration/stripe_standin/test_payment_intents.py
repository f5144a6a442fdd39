"""PaymentIntents through the real stripe client: success, declines, retrieval, validation."""

from __future__ import annotations

import pytest
import stripe

from devtools.stripe_standin.server import StandinServer
from tests.integration.stripe_standin.conftest import card_payment, control


@pytest.mark.parametrize("method", ["pm_card_visa", "tok_visa", "pm_card_mastercard"])
def test_confirmed_payment_with_a_good_card_succeeds(
    client: stripe.StripeClient, method: str
) -> None:
    intent = client.v1.payment_intents.create(params=card_payment(payment_method=method))

    assert intent.object == "payment_intent"
    assert intent.id.startswith("pi_")
    assert intent.status == "succeeded"
    assert intent.amount == 2000
    assert intent.amount_received == 2000
    assert intent.currency == "usd"
    assert intent.metadata["orderId"] == "order-1"
    assert intent.description == "Order order-1"
    assert intent.livemode is False
    assert isinstance(intent.created, int)
    assert intent.latest_charge is not None
    assert str(intent.latest_charge).startswith("ch_")
    assert intent.last_payment_error is None
    assert intent.payment_method is not None
    assert str(intent.payment_method).startswith("pm_")


def test_payment_data_with_a_token_succeeds(client: stripe.StripeClient) -> None:
    params = card_payment()
    del params["payment_method"]
    params["payment_method_data"] = {"type": "card", "card": {"token": "tok_visa"}}  # type: ignore[typeddict-unknown-key]  # a parameter the stubs do not list

    assert client.v1.payment_intents.create(params=params).status == "succeeded"


def test_created_then_confirmed_intent_walks_through_stripe_statuses(
    client: stripe.StripeClient,
) -> None:
    bare = client.v1.payment_intents.create(
        params={"amount": 1500, "currency": "eur", "allowed_payment_method_types": ["card"]}
    )
    assert bare.status == "requires_payment_method"
    assert bare.payment_method is None

    confirmed = client.v1.payment_intents.confirm(
        bare.id, params={"payment_method": "pm_card_visa"}
    )
    assert confirmed.id == bare.id
    assert confirmed.status == "succeeded"
    assert confirmed.currency == "eur"


def test_intent_with_a_payment_method_waits_for_confirmation(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(params=card_payment(confirm=False))
    assert intent.status == "requires_confirmation"

    assert client.v1.payment_intents.confirm(intent.id).status == "succeeded"


def test_retrieve_returns_the_stored_intent_and_expands_its_charge(
    client: stripe.StripeClient,
) -> None:
    intent = client.v1.payment_intents.create(params=card_payment())

    found = client.v1.payment_intents.retrieve(intent.id)
    expanded = client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge"]})

    assert found.to_dict() == intent.to_dict()
    assert expanded.latest_charge.id == intent.latest_charge
    assert expanded.latest_charge.status == "succeeded"
    assert expanded.latest_charge.paid is True
    assert expanded.latest_charge.payment_method_details.card.last4 == "4242"
    assert expanded.latest_charge.metadata["orderId"] == "order-1"


def test_retrieving_an_unknown_intent_is_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.retrieve("pi_missing")

    assert raised.value.http_status == 404
    assert raised.value.code == "resource_missing"
    assert raised.value.user_message == "No such payment_intent: 'pi_missing'"


@pytest.mark.parametrize(
    ("method", "decline_code", "message"),
    [
        ("pm_card_chargeDeclined", "generic_decline", "Your card was declined."),
        ("tok_chargeDeclined", "generic_decline", "Your card was declined."),
        ("pm_card_insufficientFunds", "insufficient_funds", "Your card has insufficient funds."),
        (
            "tok_chargeDeclinedInsufficientFunds",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
    ],
)
def test_declined_card_raises_card_error_with_the_decline(
    client: stripe.StripeClient,
    standin: StandinServer,
    method: str,
    decline_code: str,
    message: str,
) -> None:
    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_intents.create(params=card_payment(payment_method=method))

    error = raised.value
    assert error.http_status == 402
    assert error.code == "card_declined"
    assert error.user_message == message
    assert error.error is not None
    assert error.error.type == "card_error"
    assert error.error.decline_code == decline_code
    assert error.error.charge.startswith("ch_")
    failed = error.error.payment_intent
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error.decline_code == decline_code
    assert failed.latest_charge == error.error.charge
    stored = client.v1.payment_intents.retrieve(failed.id)
    assert stored.status == "requires_payment_method"
    assert stored.last_payment_error.code == "card_declined"
    assert len(control(standin, "/_standin/payment_intents")["data"]) == 1


def test_declined_intent_can_be_confirmed_again_with_another_card(
    client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_intents.create(
            params=card_payment(payment_method="pm_card_chargeDeclined")
        )
    assert raised.value.error is not None
    intent_id = raised.value.error.payment_intent.id

    retried = client.v1.payment_intents.confirm(intent_id, params={"payment_method": "tok_visa"})

    assert retried.status == "succeeded"
    assert retried.last_payment_error is None
    assert retried.latest_charge != raised.value.error.charge


def test_unknown_payment_method_is_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.create(params=card_payment(payment_method="pm_x"))

    assert raised.value.http_status == 400
    assert raised.value.code == "resource_missing"
    assert raised.value.param == "payment_method"
    assert raised.value.user_message == "No such PaymentMethod: 'pm_x'"


def test_a_payment_method_cannot_be_confirmed_twice(client: stripe.StripeClient) -> None:
    first = client.v1.payment_intents.create(params=card_payment())

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.create(params=card_payment(payment_method=first.payment_method))

    assert "may not be used again" in str(raised.value.user_message)


def test_confirming_a_succeeded_intent_is_an_unexpected_state(
    client: stripe.StripeClient,
) -> None:
    intent = client.v1.payment_intents.create(params=card_payment())

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})

    assert raised.value.code == "payment_intent_unexpected_state"


def test_redirect_capable_automatic_methods_need_a_return_url_like_stripe(
    client: stripe.StripeClient,
) -> None:
    params = card_payment()
    del params["allowed_payment_method_types"]

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.create(params=params)
    assert "return_url" in str(raised.value.user_message)

    never = {"enabled": True, "allow_redirects": "never"}
    intent = client.v1.payment_intents.create(params={**params, "automatic_payment_methods": never})
    assert intent.status == "succeeded"
    assert intent.automatic_payment_methods.allow_redirects == "never"
    with_url = client.v1.payment_intents.create(params={**params, "return_url": "http://x/done"})
    assert with_url.status == "succeeded"


@pytest.mark.parametrize(
    ("params", "code", "param"),
    [
        ({"currency": "usd"}, "parameter_missing", "amount"),
        ({"amount": 2000}, "parameter_missing", "currency"),
        ({"amount": 10, "currency": "usd"}, "amount_too_small", "amount"),
        ({"amount": 2000, "currency": "usd", "customer": "cus_1"}, "parameter_unknown", "customer"),
        ({"amount": 2000, "currency": "usd", "colour": "red"}, "parameter_unknown", "colour"),
    ],
)
def test_invalid_parameters_get_stripe_validation_errors(
    client: stripe.StripeClient, params: dict[str, object], code: str, param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.create(params=params)  # type: ignore[arg-type]  # deliberately outside the declared type

    assert raised.value.http_status == 400
    assert raised.value.code == code
    assert raised.value.param == param


def test_the_older_payment_method_types_name_is_still_accepted(
    client: stripe.StripeClient,
) -> None:
    params = card_payment()
    del params["allowed_payment_method_types"]
    legacy = {**params, "payment_method_types": ["card"]}

    intent = client.v1.payment_intents.create(params=legacy)  # type: ignore[arg-type]  # deliberately outside the declared type

    assert intent.status == "succeeded"
    assert intent.automatic_payment_methods is None


def test_card_only_intents_report_their_allowed_types(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(params=card_payment())

    assert intent.allowed_payment_method_types == ["card"]
    assert intent.payment_method_types == ["card"]
    assert intent.automatic_payment_methods is None


def test_allowed_types_and_automatic_methods_exclude_each_other(
    client: stripe.StripeClient,
) -> None:
    params = card_payment(automatic_payment_methods={"enabled": True})

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.create(params=params)

    assert "You may only specify one of these parameters" in str(raised.value.user_message)
