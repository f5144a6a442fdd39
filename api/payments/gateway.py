"""The Stripe adapter: charge an order's payment and refund it, each under the order's key."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import stripe

from api.payments.config import StripeSettings
from api.payments.domain import charge_key, refund_key

log = logging.getLogger(__name__)

SETTLED = "succeeded"
# Stripe is still working on it; its webhook reports the outcome.
IN_FLIGHT = frozenset({"processing"})
ALREADY_REFUNDED = "charge_already_refunded"


class GatewayError(Exception):
    """Base of what the Stripe adapter raises."""


class ChargeDeclined(GatewayError):
    """The card was declined (or the charge refused for good); the message is Stripe's."""

    def __init__(self, message: str, stripe_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.stripe_id = stripe_id


class GatewayUnavailable(GatewayError):
    """Stripe could not be reached or failed on its side: retry with the same key."""


@dataclass(frozen=True)
class ChargeRequest:
    """What to charge, and for which order and payment."""

    payment_id: uuid.UUID
    order_id: uuid.UUID
    amount_cents: int
    currency: str
    payment_method: str


@dataclass(frozen=True)
class Charge:
    """Stripe's PaymentIntent for the charge: `settled` once the money is taken."""

    stripe_id: str
    settled: bool


@dataclass(frozen=True)
class RefundRequest:
    """Which charge to give back, and why."""

    payment_id: uuid.UUID
    order_id: uuid.UUID
    stripe_id: str
    reason: str


class Gateway(Protocol):
    """The payment provider as the payments use cases need it."""

    def charge(self, request: ChargeRequest) -> Charge: ...

    def refund(self, request: RefundRequest) -> str | None: ...


def _json_error(error: stripe.StripeError) -> dict[str, Any]:
    body = error.json_body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return dict(body["error"])
    return {}


def _message(error: stripe.StripeError, default: str) -> str:
    message = _json_error(error).get("message")
    return str(message) if message else default


def _declined_intent(error: stripe.StripeError) -> str | None:
    intent = _json_error(error).get("payment_intent")
    return str(intent["id"]) if isinstance(intent, dict) and intent.get("id") else None


class StripeGateway:
    """Stripe through its official client (or the local stand-in at `api_base`)."""

    def __init__(self, settings: StripeSettings) -> None:
        self.client = stripe.StripeClient(
            settings.api_key,
            base_addresses={"api": settings.api_base} if settings.api_base else None,
            max_network_retries=settings.max_network_retries,
            http_client=stripe.RequestsClient(timeout=settings.timeout_seconds),
        )

    def charge(self, request: ChargeRequest) -> Charge:
        """Create and confirm a card PaymentIntent; a retry with the same order replays it."""
        try:
            intent = self.client.v1.payment_intents.create(
                params={
                    "amount": request.amount_cents,
                    "currency": request.currency,
                    "payment_method": request.payment_method,
                    "confirm": True,
                    "allowed_payment_method_types": ["card"],
                    "description": f"Order {request.order_id}",
                    "metadata": {
                        "orderId": str(request.order_id),
                        "paymentId": str(request.payment_id),
                    },
                },
                options={"idempotency_key": charge_key(request.order_id)},
            )
        except stripe.CardError as error:
            raise ChargeDeclined(
                _message(error, "Your card was declined."), _declined_intent(error)
            ) from error
        except stripe.InvalidRequestError as error:
            if error.http_status == 400 and getattr(error, "param", None):
                # A parameter Stripe refuses for good: an unknown payment method, too small
                # an amount. Retrying cannot help.
                raise ChargeDeclined(_message(error, "Stripe refused the payment.")) from error
            raise self._unavailable(error) from error
        except stripe.StripeError as error:
            raise self._unavailable(error) from error
        if intent.status == SETTLED or intent.status in IN_FLIGHT:
            return Charge(stripe_id=intent.id, settled=intent.status == SETTLED)
        # requires_action (3-D Secure) and the like: this checkout has no way to finish them.
        raise ChargeDeclined(
            "The card needs a confirmation step this checkout does not support.", intent.id
        )

    def refund(self, request: RefundRequest) -> str | None:
        """Refund the whole charge; the refund's id (None when Stripe had refunded it already)."""
        try:
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": request.stripe_id,
                    "metadata": {
                        "orderId": str(request.order_id),
                        "paymentId": str(request.payment_id),
                        "reason": request.reason[:500],
                    },
                },
                options={"idempotency_key": refund_key(request.order_id)},
            )
        except stripe.InvalidRequestError as error:
            if error.code == ALREADY_REFUNDED:
                return None
            raise self._unavailable(error) from error
        except stripe.StripeError as error:
            raise self._unavailable(error) from error
        return refund.id

    @staticmethod
    def _unavailable(error: stripe.StripeError) -> GatewayUnavailable:
        level = logging.WARNING
        if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
            level = logging.ERROR  # our configuration, not Stripe's weather
        log.log(level, "stripe call failed: %r", error)
        return GatewayUnavailable(f"{type(error).__name__}: {error.user_message}")
