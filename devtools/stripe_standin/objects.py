"""Stripe's JSON object shapes: PaymentMethod, PaymentIntent, Charge, Refund and Event."""

from __future__ import annotations

import secrets
import string

from devtools.stripe_standin.errors import JsonObject
from devtools.stripe_standin.payment_methods import TestCard

_ALPHABET = string.ascii_letters + string.digits
_EXP_YEAR_AHEAD = 8


def new_id(prefix: str, length: int = 24) -> str:
    """A Stripe-looking id such as `pi_3Qx...`."""
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _billing_details() -> JsonObject:
    """An empty billing-details block."""
    address = dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state"))
    return {"address": address, "email": None, "name": None, "phone": None, "tax_id": None}


def payment_method(pm_id: str, card: TestCard, created: int, year: int) -> JsonObject:
    """A card PaymentMethod."""
    return {
        "id": pm_id,
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": _billing_details(),
        "card": {
            "brand": card.brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": None,
            },
            "country": "US",
            "display_brand": card.brand,
            "exp_month": 12,
            "exp_year": year + _EXP_YEAR_AHEAD,
            "fingerprint": f"standin{card.brand}{card.last4}",
            "funding": card.funding,
            "generated_from": None,
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": created,
        "customer": None,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }


def payment_intent(
    pi_id: str,
    *,
    amount: int,
    currency: str,
    created: int,
    description: str | None,
    metadata: dict[str, str],
    automatic_payment_methods: JsonObject | None,
    allowed_payment_method_types: list[str] | None,
    receipt_email: str | None,
    statement_descriptor_suffix: str | None,
) -> JsonObject:
    """A new PaymentIntent waiting for a payment method."""
    return {
        "id": pi_id,
        "object": "payment_intent",
        "allowed_payment_method_types": allowed_payment_method_types,
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": automatic_payment_methods,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": f"{pi_id}_secret_{new_id('x', 25)[2:]}",
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": None,
        "customer_account": None,
        "description": description,
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": metadata,
        "next_action": None,
        "on_behalf_of": None,
        "payment_details": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": receipt_email,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": statement_descriptor_suffix,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }


def charge(
    ch_id: str, intent: JsonObject, method: JsonObject, card: TestCard, created: int
) -> JsonObject:
    """The Charge one confirmation attempt makes: succeeded, or failed as the card declines."""
    decline = card.decline
    paid = decline is None
    card_details = method["card"]
    return {
        "id": ch_id,
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"] if paid else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": new_id("txn") if paid else None,
        "billing_details": _billing_details(),
        "calculated_statement_descriptor": "STRIPE STANDIN",
        "captured": paid,
        "created": created,
        "currency": intent["currency"],
        "customer": None,
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None if decline is None else decline.code,
        "failure_message": None if decline is None else decline.message,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "on_behalf_of": None,
        "outcome": _outcome(card),
        "paid": paid,
        "payment_intent": intent["id"],
        "payment_method": method["id"],
        "payment_method_details": {
            "card": {
                "brand": card_details["brand"],
                "country": card_details["country"],
                "exp_month": card_details["exp_month"],
                "exp_year": card_details["exp_year"],
                "fingerprint": card_details["fingerprint"],
                "funding": card_details["funding"],
                "last4": card_details["last4"],
                "network": card_details["brand"],
            },
            "type": "card",
        },
        "receipt_email": intent["receipt_email"],
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": intent["statement_descriptor_suffix"],
        "status": "succeeded" if paid else "failed",
        "transfer_data": None,
        "transfer_group": None,
    }


def _outcome(card: TestCard) -> JsonObject:
    """The network outcome block of a Charge."""
    decline = card.decline
    if decline is None:
        return {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 20,
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    return {
        "network_status": "declined_by_network",
        "reason": decline.decline_code,
        "risk_level": "normal",
        "risk_score": 20,
        "seller_message": decline.seller_message,
        "type": decline.outcome_type,
    }


def refund(
    re_id: str,
    *,
    amount: int,
    paid_charge: JsonObject,
    reason: str | None,
    metadata: dict[str, str],
    created: int,
) -> JsonObject:
    """A succeeded Refund of (part of) a Charge."""
    return {
        "id": re_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn"),
        "charge": paid_charge["id"],
        "created": created,
        "currency": paid_charge["currency"],
        "destination_details": {
            "card": {
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "metadata": metadata,
        "payment_intent": paid_charge["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def event(
    event_type: str,
    obj: JsonObject,
    *,
    created: int,
    api_version: str,
    request_id: str | None,
    idempotency_key: str | None,
    previous_attributes: JsonObject | None = None,
) -> JsonObject:
    """A snapshot Event as Stripe posts it to webhook endpoints."""
    data: JsonObject = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": new_id("evt"),
        "object": "event",
        "api_version": api_version,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }
