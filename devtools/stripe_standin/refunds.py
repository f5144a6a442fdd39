"""Refunds: `POST /v1/refunds` against a PaymentIntent's charge or a charge id."""

from __future__ import annotations

from devtools.stripe_standin import errors, objects
from devtools.stripe_standin.engine import Engine, RequestContext, format_amount
from devtools.stripe_standin.errors import JsonObject
from devtools.stripe_standin.forms import Params

CREATE_PARAMS = (
    "amount",
    "charge",
    "expand",
    "instructions_email",
    "metadata",
    "payment_intent",
    "reason",
)
_UNMODELLED = ("currency", "customer", "origin", "refund_application_fee", "reverse_transfer")
REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def create(engine: Engine, params: Params, context: RequestContext) -> JsonObject:
    """`POST /v1/refunds`: refund all or part of a succeeded charge."""
    params.reject_unknown(CREATE_PARAMS, _UNMODELLED)
    amount = params.integer("amount")
    reason = params.choice("reason", REASONS)
    metadata = params.string_map("metadata")
    expand = params.string_list("expand")
    engine.check_expand("refunds", expand)
    with engine.ledger.locked():
        paid = _refundable_charge(engine, params.string("payment_intent"), params.string("charge"))
        remaining = paid["amount"] - paid["amount_refunded"]
        if remaining == 0:
            raise errors.invalid_request(
                f"Charge {paid['id']} has already been refunded.", code="charge_already_refunded"
            )
        amount = remaining if amount is None else amount
        if amount < 1:
            raise errors.parameter_invalid(
                "amount", "Invalid positive integer", "parameter_invalid_integer"
            )
        if amount > remaining:
            raise errors.invalid_request(
                f"Refund amount ({format_amount(amount, paid['currency'])}) is greater than "
                f"unrefunded amount on charge ({format_amount(remaining, paid['currency'])})",
                code="amount_too_large",
                param="amount",
            )
        refund = objects.refund(
            objects.new_id("re"),
            amount=amount,
            paid_charge=paid,
            reason=reason,
            metadata=metadata,
            created=engine.now(),
        )
        engine.ledger.add("refunds", refund)
        previous = {"amount_refunded": paid["amount_refunded"], "refunded": paid["refunded"]}
        paid["amount_refunded"] += amount
        paid["refunded"] = paid["amount_refunded"] == paid["amount"]
        engine.publish("charge.refunded", paid, context, previous_attributes=previous)
        return engine.render("refunds", refund, expand)


def _refundable_charge(engine: Engine, intent_id: str | None, charge_id: str | None) -> JsonObject:
    """The succeeded charge a refund request names, or Stripe's refusal."""
    if intent_id is None and charge_id is None:
        raise errors.invalid_request(
            "One of the following params should be provided for this request: "
            "payment_intent or charge."
        )
    if charge_id is None:
        assert intent_id is not None
        intent = engine.ledger.get("payment_intents", intent_id)
        if intent is None:
            raise errors.resource_missing(
                f"No such payment_intent: '{intent_id}'", param="payment_intent"
            )
        latest = intent["latest_charge"]
        paid = None if latest is None else engine.ledger.get("charges", latest)
        if paid is None or paid["status"] != "succeeded":
            raise errors.invalid_request(
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund."
            )
        return paid
    paid = engine.ledger.get("charges", charge_id)
    if paid is None:
        raise errors.resource_missing(f"No such charge: '{charge_id}'", param="charge")
    if intent_id is not None and paid["payment_intent"] != intent_id:
        raise errors.invalid_request(
            f"The charge {charge_id} does not belong to the PaymentIntent {intent_id}.",
            param="charge",
        )
    if paid["status"] != "succeeded":
        raise errors.invalid_request(
            f"Charge {charge_id} has not succeeded and cannot be refunded.", param="charge"
        )
    return paid
