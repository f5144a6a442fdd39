"""Request plumbing: request ids, and the guard that every JSON body is a JSON object."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request

from common.errors import BadRequest, UnsupportedMediaType
from common.logging import request_id_var

REQUEST_ID_HEADER = "X-Request-Id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

F = TypeVar("F", bound=Callable[..., Any])


def raw_body(view: F) -> F:
    """Mark a view that reads its body itself (e.g. signed webhooks), skipping the JSON guard."""
    view.accepts_raw_body = True  # type: ignore[attr-defined]  # a marker attribute on the function
    return view


def _bind_request_id() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.request_id = request_id
    request_id_var.set(request_id)


def _echo_request_id(response: Response) -> Response:
    request_id = getattr(g, "request_id", None)
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


def _has_body() -> bool:
    if request.content_length:
        return True
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _guard_json_body() -> None:
    if request.method not in _BODY_METHODS or not _has_body():
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(getattr(view, "view_class", view), "accepts_raw_body", False):
        return
    if not request.is_json:
        raise UnsupportedMediaType()
    data = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("The body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")


def install_request_hooks(app: Flask) -> None:
    """Request ids on every request and response; JSON bodies checked before any view."""
    app.before_request(_bind_request_id)
    app.before_request(_guard_json_body)
    app.after_request(_echo_request_id)
