"""Request plumbing: request ids, and the guard that every JSON body is a JSON object."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request

from common.errors import BadRequest, FieldError, UnsupportedMediaType, ValidationFailed
from common.logging import request_id_var

REQUEST_ID_HEADER = "X-Request-Id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MAX_JSON_DEPTH = 32
# Lone UTF-16 surrogates cannot be encoded (hashing, the database) and NUL cannot be stored.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# The same refusal as a schema pattern, for free-text fields in the documents.
STORABLE_TEXT_PATTERN = "^[^\\u0000]*$"

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
    body = parse_json_object(data)
    unstorable = unstorable_fields(body)
    if unstorable:
        raise ValidationFailed(
            "Text may not contain NUL characters or unpaired surrogates.",
            [
                FieldError("Contains a NUL character or an unpaired surrogate.", f)
                for f in unstorable
            ],
        )


def parse_json_object(data: bytes) -> dict[str, Any]:
    """The body as a JSON object; 400 when it is not JSON, not an object or nested too deep."""
    try:
        body = json.loads(data)
    except RecursionError as exc:
        raise BadRequest(f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels.") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("The body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    if _depth(body) > MAX_JSON_DEPTH:
        raise BadRequest(f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels.")
    return body


def _children(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [(str(key), item) for key, item in value.items()]
    if isinstance(value, list):
        return [(str(index), item) for index, item in enumerate(value)]
    return []


def _depth(body: Any) -> int:
    """How deep containers nest (iteratively: the body may be deeper than the stack)."""
    deepest, stack = 0, [(body, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((item, depth + 1) for _, item in _children(value) if _children(item))
    return deepest


def unstorable_fields(body: Any) -> list[str]:
    """Dotted paths of the keys and strings that hold NUL or an unpaired surrogate."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", body)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str) and _UNSTORABLE.search(value):
            found.append(path or "body")
        for key, item in _children(value):
            child = f"{path}.{key}" if path else key
            if isinstance(value, dict) and _UNSTORABLE.search(key):
                found.append(child)
            stack.append((child, item))
    return sorted(set(found))


def install_request_hooks(app: Flask) -> None:
    """Request ids on every request and response; JSON bodies checked before any view."""
    app.before_request(_bind_request_id)
    app.before_request(_guard_json_body)
    app.after_request(_echo_request_id)
