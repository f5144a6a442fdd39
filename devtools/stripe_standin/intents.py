"""PaymentIntents: create (optionally confirming), confirm and retrieve, with test-card outcomes."""

from __future__ import annotations

import copy
import re

from devtools.stripe_standin import errors, objects
from devtools.stripe_standin.engine import Engine, RequestContext, format_amount
from devtools.stripe_standin.errors import JsonObject
from devtools.stripe_standin.forms import Params
from devtools.stripe_standin.payment_methods import magic_card

_IGNORED = (
    "error_on_requires_action",
    "off_session",
    "payment_method_options",
    "radar_options",
    "shipping",
    "statement_descriptor",
    "transfer_group",
    "use_stripe_sdk",
)
CREATE_PARAMS = (
    "allowed_payment_method_types",
    "amount",
    "automatic_payment_methods",
    "confirm",
    "currency",
    "description",
    "expand",
    "metadata",
    "payment_method",
    "payment_method_data",
    "payment_method_types",
    "receipt_email",
    "return_url",
    "statement_descriptor_suffix",
    *_IGNORED,
)
CONFIRM_PARAMS = (
    "expand",
    "payment_method",
    "payment_method_data",
    "receipt_email",
    "return_url",
    *_IGNORED,
)
RETRIEVE_PARAMS = ("client_secret", "expand")
_UNMODELLED = (
    "amount_details",
    "application_fee_amount",
    "capture_method",
    "confirmation_method",
    "confirmation_token",
    "customer",
    "excluded_payment_method_types",
    "mandate",
    "mandate_data",
    "on_behalf_of",
    "payment_method_configuration",
    "setup_future_usage",
    "transfer_data",
)
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
MINIMUM_AMOUNTS = {"gbp": 30, "jpy": 50}
DEFAULT_MINIMUM = 50
MAXIMUM_AMOUNT = 99_999_999

RETURN_URL_REQUIRED = (
    "A `return_url` must be specified because this Payment Intent is configured to "
    "automatically accept the payment methods enabled in the Dashboard, some of which may "
    "require a full page redirect to succeed. If you do not want to accept redirect-based "
    "payment methods, set `automatic_payment_methods[enabled]` to `true` and "
    "`automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and "
    "Payment Intents."
)
MISSING_PAYMENT_METHOD = (
    "You cannot confirm this PaymentIntent because it's missing a payment method. You can "
    "either update the PaymentIntent with a payment method and then confirm it again, or "
    "confirm it again directly with a payment method."
)
PAYMENT_METHOD_USED = (
    "The provided PaymentMethod was previously used with a PaymentIntent without Customer "
    "attachment, shared with a connected account without Customer attachment, or was detached "
    "from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must "
    "attach it to a Customer first."
)


def create(engine: Engine, params: Params, context: RequestContext) -> JsonObject:
    """`POST /v1/payment_intents`."""
    params.reject_unknown(CREATE_PARAMS, _UNMODELLED)
    amount, currency = _amount_and_currency(params)
    automatic, allowed = _payment_method_choice(params)
    metadata = params.string_map("metadata")
    confirm = params.boolean("confirm")
    expand = params.string_list("expand")
    engine.check_expand("payment_intents", expand)
    with engine.ledger.locked():
        method = _payment_method(engine, params)
        if confirm:
            if method is None:
                raise errors.unexpected_state(MISSING_PAYMENT_METHOD)
            _require_return_url(automatic, params.string("return_url"))
        intent = objects.payment_intent(
            objects.new_id("pi"),
            amount=amount,
            currency=currency,
            created=engine.now(),
            description=params.string("description"),
            metadata=metadata,
            automatic_payment_methods=automatic,
            allowed_payment_method_types=allowed,
            receipt_email=params.string("receipt_email"),
            statement_descriptor_suffix=params.string("statement_descriptor_suffix"),
        )
        engine.ledger.add("payment_intents", intent)
        if method is not None:
            intent["payment_method"] = method["id"]
            intent["status"] = "requires_confirmation"
        if confirm and method is not None:
            _charge(engine, intent, method, context)
        return engine.render("payment_intents", intent, expand)


def confirm(engine: Engine, intent_id: str, params: Params, context: RequestContext) -> JsonObject:
    """`POST /v1/payment_intents/{id}/confirm`."""
    params.reject_unknown(CONFIRM_PARAMS, (*_UNMODELLED, "payment_method_types"))
    expand = params.string_list("expand")
    engine.check_expand("payment_intents", expand)
    with engine.ledger.locked():
        intent = _intent(engine, intent_id)
        if intent["status"] not in CONFIRMABLE:
            raise errors.unexpected_state(
                "You cannot confirm this PaymentIntent because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                "may be confirmed: requires_confirmation, requires_payment_method, "
                "requires_action."
            )
        method = _payment_method(engine, params)
        if method is None and intent["payment_method"] is not None:
            method = engine.ledger.get("payment_methods", intent["payment_method"])
        if method is None:
            raise errors.unexpected_state(MISSING_PAYMENT_METHOD)
        _require_return_url(intent["automatic_payment_methods"], params.string("return_url"))
        receipt_email = params.string("receipt_email")
        if receipt_email is not None:
            intent["receipt_email"] = receipt_email
        intent["payment_method"] = method["id"]
        _charge(engine, intent, method, context)
        return engine.render("payment_intents", intent, expand)


def retrieve(engine: Engine, intent_id: str, params: Params) -> JsonObject:
    """`GET /v1/payment_intents/{id}`."""
    params.reject_unknown(RETRIEVE_PARAMS)
    expand = params.string_list("expand")
    engine.check_expand("payment_intents", expand)
    with engine.ledger.locked():
        return engine.render("payment_intents", _intent(engine, intent_id), expand)


def _intent(engine: Engine, intent_id: str) -> JsonObject:
    """The stored PaymentIntent named in the path, or Stripe's 404."""
    intent = engine.ledger.get("payment_intents", intent_id)
    if intent is None:
        raise errors.resource_missing(
            f"No such payment_intent: '{intent_id}'", param="intent", status=404
        )
    return intent


def _amount_and_currency(params: Params) -> tuple[int, str]:
    """Validate `amount` and `currency` the way Stripe words its refusals."""
    amount = params.integer("amount", required=True)
    assert amount is not None
    currency = params.required_string("currency").lower()
    if not re.fullmatch(r"[a-z]{3}", currency):
        raise errors.parameter_invalid("currency", f"Invalid currency: {currency}.")
    minimum = MINIMUM_AMOUNTS.get(currency, DEFAULT_MINIMUM)
    if amount < minimum:
        raise errors.invalid_request(
            f"Amount must be at least {format_amount(minimum, currency)}"
            + (" usd" if currency == "usd" else ""),
            code="amount_too_small",
            param="amount",
        )
    if amount > MAXIMUM_AMOUNT:
        raise errors.invalid_request(
            f"Amount must be no more than {format_amount(MAXIMUM_AMOUNT, currency)}",
            code="amount_too_large",
            param="amount",
        )
    return amount, currency


def _payment_method_choice(params: Params) -> tuple[JsonObject | None, list[str] | None]:
    """`automatic_payment_methods` and the allowed types; Stripe enables the former by default."""
    automatic = params.nested("automatic_payment_methods")
    # API 2026-10-28 (stripe-python 16) names the list `allowed_payment_method_types`;
    # older versions call it `payment_method_types`. Either one selects card-only here.
    named = [
        name
        for name in ("allowed_payment_method_types", "payment_method_types")
        if params.has(name)
    ]
    if automatic is not None:
        named.insert(0, "automatic_payment_methods")
    if len(named) > 1:
        raise errors.invalid_request(
            f"You may only specify one of these parameters: {', '.join(named)}."
        )
    if automatic is not None:
        return _automatic(automatic), None
    if not named:
        return {"allow_redirects": "always", "enabled": True}, None
    types = params.string_list(named[0])
    for kind in types:
        if kind != "card":
            raise errors.parameter_invalid(
                named[0],
                f'The payment method type "{kind}" is invalid. The Stripe stand-in only '
                "supports `card`.",
            )
    return None, types


def _automatic(automatic: Params) -> JsonObject | None:
    """The stored `automatic_payment_methods` hash (None when explicitly disabled)."""
    automatic.reject_unknown(("allow_redirects", "enabled"))
    if not automatic.has("enabled"):
        raise errors.parameter_missing(automatic.name("enabled"))
    if not automatic.boolean("enabled"):
        return None
    redirects = automatic.choice("allow_redirects", ("always", "never")) or "always"
    return {"allow_redirects": redirects, "enabled": True}


def _require_return_url(automatic: JsonObject | None, return_url: str | None) -> None:
    """Stripe refuses a server-side confirm that could redirect but has nowhere to return."""
    if automatic and automatic["allow_redirects"] != "never" and return_url is None:
        raise errors.invalid_request(RETURN_URL_REQUIRED)


def _payment_method(engine: Engine, params: Params) -> JsonObject | None:
    """The PaymentMethod named by `payment_method` or `payment_method_data[card][token]`."""
    data = params.nested("payment_method_data")
    reference = params.string("payment_method")
    if data is not None and reference is not None:
        raise errors.invalid_request(
            "You may only specify one of these parameters: payment_method, payment_method_data."
        )
    if data is None:
        return None if reference is None else _resolve(engine, reference, "payment_method")
    data.reject_unknown(("type", "card", "billing_details", "metadata"))
    if data.choice("type", ("card",)) is None:
        raise errors.parameter_missing(data.name("type"))
    card = data.nested("card")
    token = None if card is None else card.string("token")
    if card is None or token is None:
        raise errors.parameter_missing(data.name("card") + "[token]")
    return _resolve(engine, token, card.name("token"))


def _resolve(engine: Engine, reference: str, param: str) -> JsonObject:
    """A magic test id becomes a fresh PaymentMethod; a stored one is reused once."""
    card = magic_card(reference)
    if card is not None:
        fresh = objects.payment_method(objects.new_id("pm"), card, engine.now(), engine.year())
        return engine.ledger.add_payment_method(fresh, card)
    method = engine.ledger.get("payment_methods", reference)
    if method is None:
        kind = "token" if reference.startswith("tok_") else "PaymentMethod"
        raise errors.resource_missing(f"No such {kind}: '{reference}'", param=param)
    if engine.ledger.is_used(reference):
        raise errors.invalid_request(PAYMENT_METHOD_USED, param=param)
    return method


def _charge(
    engine: Engine, intent: JsonObject, method: JsonObject, context: RequestContext
) -> None:
    """Attempt the charge: success settles the intent, a decline raises Stripe's 402."""
    card = engine.ledger.card_of(method["id"])
    engine.ledger.mark_used(method["id"])
    attempt = objects.charge(objects.new_id("ch"), intent, method, card, engine.now())
    engine.ledger.add("charges", attempt)
    intent["latest_charge"] = attempt["id"]
    decline = card.decline
    if decline is None:
        intent.update(status="succeeded", amount_received=intent["amount"], last_payment_error=None)
        engine.publish("payment_intent.succeeded", intent, context)
        return
    failure = errors.payment_error(
        code=decline.code,
        decline_code=decline.decline_code,
        message=decline.message,
        charge=attempt["id"],
        payment_method=copy.deepcopy(method),
    )
    intent.update(status="requires_payment_method", payment_method=None, last_payment_error=failure)
    engine.publish("payment_intent.payment_failed", intent, context)
    raise errors.card_error(failure, copy.deepcopy(intent))
