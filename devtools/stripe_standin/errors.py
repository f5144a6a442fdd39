"""Errors answered in Stripe's wire shape: an HTTP status and an `error` object."""

from __future__ import annotations

from typing import Any

JsonObject = dict[str, Any]

_DOCS = "https://stripe.com/docs/error-codes/"


class StripeApiError(Exception):
    """An API failure that the server answers as `{"error": {...}}` with its status."""

    def __init__(self, status: int, error: JsonObject) -> None:
        super().__init__(error.get("message", ""))
        self.status = status
        self.error = error

    @property
    def error_type(self) -> str:
        """The Stripe error type, e.g. `card_error` or `invalid_request_error`."""
        return str(self.error.get("type", ""))

    def body(self) -> JsonObject:
        """The JSON body Stripe sends for this error."""
        return {"error": self.error}


def _error(
    error_type: str, message: str, *, code: str | None = None, param: str | None = None
) -> JsonObject:
    """Build an error object the way Stripe orders and omits its fields."""
    error: JsonObject = {}
    if code is not None:
        error["code"] = code
        error["doc_url"] = _DOCS + code.replace("_", "-")
    error["message"] = message
    if param is not None:
        error["param"] = param
    error["type"] = error_type
    return error


def invalid_request(
    message: str, *, code: str | None = None, param: str | None = None, status: int = 400
) -> StripeApiError:
    """A 400-class `invalid_request_error`."""
    return StripeApiError(status, _error("invalid_request_error", message, code=code, param=param))


def parameter_missing(param: str) -> StripeApiError:
    """Stripe's answer to a missing required parameter."""
    return invalid_request(
        f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def parameter_unknown(param: str, *, hint: str = "") -> StripeApiError:
    """Stripe's answer to a parameter the endpoint does not take."""
    return invalid_request(
        f"Received unknown parameter: {param}{hint}", code="parameter_unknown", param=param
    )


def parameter_invalid(param: str, message: str, code: str = "parameter_invalid") -> StripeApiError:
    """A parameter with a value of the wrong kind."""
    return invalid_request(message, code=code, param=param)


def resource_missing(message: str, *, param: str, status: int = 400) -> StripeApiError:
    """Stripe's `resource_missing` (400 for a referenced id, 404 for the path's id)."""
    return invalid_request(message, code="resource_missing", param=param, status=status)


def unexpected_state(message: str) -> StripeApiError:
    """An operation the PaymentIntent's current status does not allow."""
    return invalid_request(message, code="payment_intent_unexpected_state")


def unrecognized_url(method: str, path: str) -> StripeApiError:
    """Stripe's 404 for a route it does not have."""
    return invalid_request(
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
        status=404,
    )


def authentication(message: str) -> StripeApiError:
    """A 401; Stripe types these `invalid_request_error`, the client maps 401 by status."""
    return StripeApiError(401, _error("invalid_request_error", message))


def idempotency(message: str) -> StripeApiError:
    """A 400 `idempotency_error`: a key reused for a different request."""
    return StripeApiError(400, _error("idempotency_error", message))


def api_error(status: int) -> StripeApiError:
    """An injected server-side failure in Stripe's `api_error` shape (or 429's shape)."""
    if status == 429:
        return StripeApiError(
            429,
            _error(
                "invalid_request_error",
                "Request rate limit exceeded. Learn more about rate limits here "
                "https://stripe.com/docs/rate-limits.",
                code="rate_limit",
            ),
        )
    return StripeApiError(
        status,
        _error(
            "api_error",
            "Sorry, something went wrong. We've already been notified of the problem, but if "
            "you need any help, you can reach us at support.stripe.com/contact.",
        ),
    )


def payment_error(
    *, code: str, decline_code: str, message: str, charge: str, payment_method: JsonObject
) -> JsonObject:
    """The `last_payment_error` a PaymentIntent keeps after a decline."""
    error = _error("card_error", message, code=code)
    error["charge"] = charge
    error["decline_code"] = decline_code
    error["payment_method"] = payment_method
    return dict(sorted(error.items()))


def card_error(payment_error: JsonObject, payment_intent: JsonObject) -> StripeApiError:
    """A 402 `card_error` that also carries the PaymentIntent, as Stripe sends on a decline."""
    return StripeApiError(
        402, dict(sorted({**payment_error, "payment_intent": payment_intent}.items()))
    )
