"""RFC 9457 problem+json: the one error format, mapped once for every service."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any, TypeVar

import marshmallow as ma
from flask import Response, request
from flask_smorest import Api, Blueprint
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from common.errors import FieldError, ServiceUnavailable, TicketingError
from common.http.spec_polish import polish
from common.logging import request_id_var

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

# RFC 9110 names, where Python's HTTPStatus still uses the older RFC 7231 ones.
_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}

_DETAILS = {
    400: "Invalid request.",
    401: "Not signed in.",
    403: "You may not do this.",
    404: "Nothing is at this address.",
    405: "This method is not allowed at this address.",
    413: "The request body is too large.",
    415: "Send the body as application/json.",
    422: "Invalid request.",
    429: "Too many requests; try again later.",
    500: "Something went wrong on our side.",
}


class FieldErrorSchema(ma.Schema):
    """One invalid field."""

    message = ma.fields.String(required=True)
    field = ma.fields.String(allow_none=True, required=True)


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem with the list of invalid fields."""

    type = ma.fields.String(required=True, metadata={"example": "about:blank"})
    title = ma.fields.String(required=True, metadata={"example": "Bad Request"})
    status = ma.fields.Integer(required=True, metadata={"example": 400})
    detail = ma.fields.String(required=True, metadata={"example": "Invalid request"})
    errors = ma.fields.List(ma.fields.Nested(FieldErrorSchema), required=True)
    requestId = ma.fields.String(allow_none=True)


def status_title(status: int) -> str:
    """The RFC 9110 reason phrase of a status code."""
    return _TITLES.get(status) or HTTPStatus(status).phrase


def documents_problem(blp: Blueprint, status: int, description: str) -> Callable[[F], F]:
    """Document an error response of a view as an RFC 9457 problem."""
    decorator: Callable[[F], F] = blp.alt_response(
        status, schema=ProblemSchema, content_type=PROBLEM_JSON, description=description
    )
    return decorator


def problem(
    status: int,
    detail: str | None = None,
    errors: Iterable[FieldError] = (),
    headers: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Response:
    """Build a problem+json response."""
    detail = detail or _DETAILS.get(status, HTTPStatus(status).description)
    # A client renders any error from `errors` alone: with no field at fault, the detail.
    listed = [error.as_dict() for error in errors] or [FieldError(detail).as_dict()]
    body = {
        "type": "about:blank",
        "title": title or status_title(status),
        "status": status,
        "detail": detail,
        "errors": listed,
        "requestId": request_id_var.get(),
    }
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def field_errors(messages: Any, prefix: str = "") -> list[FieldError]:
    """Flatten marshmallow/webargs messages ({"json": {"email": ["..."]}}) into FieldErrors."""
    found: list[FieldError] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            key = str(key)
            if not prefix and key in {
                "json",
                "query",
                "path",
                "headers",
                "cookies",
                "form",
                "files",
            }:
                found.extend(field_errors(value, ""))
                continue
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else key)
            found.extend(field_errors(value, name))
    elif isinstance(messages, list | tuple):
        for item in messages:
            found.extend(field_errors(item, prefix))
    else:
        found.append(FieldError(str(messages), prefix or None))
    return found


def _http_exception_problem(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = field_errors(data.get("messages", {}))
    detail = data.get("message")
    if status == 400 and not detail and error.description and "JSON" in error.description:
        detail = "The body is not valid JSON."
    response = problem(status, detail, errors, data.get("headers"))
    if status == 405 and error.get_response().headers.get("Allow"):
        response.headers["Allow"] = error.get_response().headers["Allow"]
    return response


class ProblemApi(Api):
    """flask-smorest Api that speaks problem+json for every error and documents it."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        app = self._app
        app.register_error_handler(HTTPException, self.handle_http_exception)
        app.register_error_handler(TicketingError, handle_ticketing_error)
        app.register_error_handler(OperationalError, handle_database_unavailable)
        app.register_error_handler(InterfaceError, handle_database_unavailable)
        app.register_error_handler(Exception, handle_unexpected_error)

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]  # flask-smorest types it loosely; we answer problem+json
        return _http_exception_problem(error)

    def spec_dict(self) -> dict[str, Any]:
        """The OpenAPI document as served: with named enums, examples and operation ids."""
        return polish(self.spec.to_dict())

    def _openapi_json(self) -> Response:
        return Response(json.dumps(self.spec_dict(), indent=2), mimetype="application/json")

    def _register_responses(self) -> None:
        self.spec.components.schema("Problem", schema=ProblemSchema)
        for status in HTTPStatus:
            response: dict[str, Any] = {"description": status_title(status)}
            if status >= 400:
                response["content"] = {PROBLEM_JSON: {"schema": "Problem"}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {
                "description": "An error (problem+json)",
                "content": {PROBLEM_JSON: {"schema": "Problem"}},
            },
            lazy=True,
        )


def handle_ticketing_error(error: TicketingError) -> Response:
    """Map a domain or kernel error to its problem."""
    if error.status >= 500:
        log.error("request failed: %s", error.detail, extra={"path": request.path})
    return problem(error.status, error.detail, error.errors, error.headers, error.title)


def handle_database_unavailable(error: Exception) -> Response:
    """The database went away (restart, failover, network): nothing was done; try again.

    Pooled connections are not pinged before use, so the first request after a database
    restart meets the dead connection here; the pool then drops all of them and the retry
    gets a fresh one.
    """
    log.warning("database unavailable: %s", error, extra={"path": request.path})
    unavailable = ServiceUnavailable("The database is unavailable; try again shortly.")
    return problem(unavailable.status, unavailable.detail, headers={"Retry-After": "1"})


def handle_unexpected_error(error: Exception) -> Response:
    """Log the stack trace with the request id; answer 500 without it."""
    log.exception("unhandled error", extra={"path": request.path, "method": request.method})
    return problem(500)
