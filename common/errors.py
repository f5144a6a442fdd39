"""The one error tree of the platform; each error knows its HTTP status."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field (or with the whole input when field is None)."""

    message: str
    field: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"message": self.message, "field": self.field}


class TicketingError(Exception):
    """Base of every error the platform raises on purpose."""

    status = 500
    title = "Internal Server Error"
    default_detail = "Something went wrong on our side."

    def __init__(
        self,
        detail: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        self.errors = errors or []
        self.headers = headers or {}
        super().__init__(self.detail)


class ConfigurationError(TicketingError):
    """The environment does not describe a runnable configuration."""

    default_detail = "Invalid configuration."


class BadRequest(TicketingError):
    """The request could not be understood (malformed JSON, body not an object)."""

    status = 400
    title = "Bad Request"
    default_detail = "Invalid request."


class ValidationFailed(TicketingError):
    """The request was understood but its fields are invalid."""

    status = 422
    title = "Unprocessable Content"
    default_detail = "Invalid request."


class Unauthenticated(TicketingError):
    """No valid credentials were presented."""

    status = 401
    title = "Unauthorized"
    default_detail = "Not signed in."


class PaymentRequired(TicketingError):
    """The payment was declined."""

    status = 402
    title = "Payment Required"
    default_detail = "The payment was declined."


class Forbidden(TicketingError):
    """The caller is known but may not do this."""

    status = 403
    title = "Forbidden"
    default_detail = "You may not do this."


class NotFound(TicketingError):
    """The resource does not exist (or is not visible to the caller)."""

    status = 404
    title = "Not Found"
    default_detail = "Not found."


class Conflict(TicketingError):
    """The request conflicts with the current state of the resource."""

    status = 409
    title = "Conflict"
    default_detail = "The request conflicts with the current state."


class UnsupportedMediaType(TicketingError):
    """The body is not in a content type the endpoint accepts."""

    status = 415
    title = "Unsupported Media Type"
    default_detail = "Send the body as application/json."


class TooManyRequests(TicketingError):
    """The caller is rate limited; headers carry Retry-After."""

    status = 429
    title = "Too Many Requests"
    default_detail = "Too many attempts; try again later."


class ServiceUnavailable(TicketingError):
    """A dependency is down; the request may be retried."""

    status = 503
    title = "Service Unavailable"
    default_detail = "A dependency is unavailable; try again shortly."
