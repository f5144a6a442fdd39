"""Bodies and headers of the waiting room in the orders API's OpenAPI document."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from common.http.problems import ProblemSchema


class InLineProblemSchema(ProblemSchema):
    """503 while the buyer waits in line: their place and the estimated wait."""

    position = ma.fields.Integer(required=True, metadata={"example": 37})
    waitSeconds = ma.fields.Integer(required=True, metadata={"example": 20})


class PlaceSchema(ma.Schema):
    """Where I stand: admitted (reserve now), or my place in line and the estimated wait."""

    admitted = ma.fields.Boolean(required=True)
    position = ma.fields.Integer(
        allow_none=True, required=True, metadata={"description": "1 is next; null when not in line"}
    )
    waitSeconds = ma.fields.Integer(required=True, metadata={"example": 20})
    retryAfter = ma.fields.Integer(
        required=True, metadata={"description": "Come back within this many seconds"}
    )


class LineSchema(ma.Schema):
    """The line as operators see it."""

    enabled = ma.fields.Boolean(required=True)
    length = ma.fields.Integer(required=True)
    admissionRate = ma.fields.Float(required=True, metadata={"description": "Buyers per second"})
    waitSeconds = ma.fields.Integer(
        required=True, metadata={"description": "Estimated wait of a buyer joining now"}
    )


def header(description: str, example: Any) -> dict[str, Any]:
    """An OpenAPI response header of type integer."""
    return {"description": description, "schema": {"type": "integer", "example": example}}


RETRY_AFTER = header("Seconds to wait before trying again", 3)
QUEUE_POSITION = header("Your place in the waiting room's line (1 is next)", 37)

IN_LINE_DETAIL = (
    "You are number 37 in line, about 1 second. "
    "Try again after Retry-After seconds to keep your place."
)
IN_LINE_EXAMPLE = {
    "type": "about:blank",
    "title": "Service Unavailable",
    "status": 503,
    "detail": IN_LINE_DETAIL,
    "errors": [{"message": IN_LINE_DETAIL, "field": None}],
    "requestId": "4c1d2b0e9a7f4d6e",
    "position": 37,
    "waitSeconds": 1,
}
