"""The problem+json bodies the gateway answers with itself (the NGINX config renders the same)."""

from __future__ import annotations

import json
from http import HTTPStatus

PROBLEM_CONTENT_TYPE = "application/problem+json"

GATEWAY_PROBLEMS: dict[int, str] = {
    400: "The gateway could not read the request",
    404: "No API at this path",
    413: "The request body is larger than 1 MiB",
    414: "The request URI is too long",
    500: "The gateway failed",
    502: "The service behind this path is not answering",
    503: "The service behind this path is busy or unavailable; try again shortly",
    504: "The service behind this path did not answer in time",
}


def problem_body(status: int) -> bytes:
    """The RFC 9457 body of a gateway-generated error."""
    detail = GATEWAY_PROBLEMS[status]
    document = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "errors": [{"message": detail, "field": None}],
    }
    return json.dumps(document, separators=(",", ":")).encode()
