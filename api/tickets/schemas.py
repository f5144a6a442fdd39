"""Request and response bodies (and query strings) of the tickets API."""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
from marshmallow import validate

from api.tickets.domain import MAX_TITLE_LENGTH, TicketStatus
from common.money import InvalidAmount, parse_price
from common.pagination import DEFAULT_LIMIT, MAX_LIMIT, Cursor, InvalidCursor


class Price(ma.fields.Field[int]):
    """A price given as a number or a decimal string, loaded as integer cents."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        try:
            return parse_price(value)
        except InvalidAmount as exc:
            raise ma.ValidationError(str(exc)) from exc


# NUL cannot be stored in PostgreSQL text, a lone surrogate cannot be encoded, and other
# control characters have no place in a one-line title.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


class TrimmedString(ma.fields.String):
    """A one-line string with surrounding whitespace removed before it is validated."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if _UNPRINTABLE.search(text):
            raise ma.ValidationError("Must not contain control characters or unpaired surrogates.")
        return text


class PageCursor(ma.fields.String):
    """An opaque cursor from a previous page's nextCursor."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            return Cursor.decode(super()._deserialize(value, attr, data, **kwargs))
        except InvalidCursor as exc:
            raise ma.ValidationError(str(exc)) from exc


class TicketInputSchema(ma.Schema):
    """A ticket as a seller describes it."""

    title = TrimmedString(
        required=True,
        validate=validate.Length(
            min=1, max=MAX_TITLE_LENGTH, error="Title must be 1 to {max} characters long."
        ),
        metadata={
            "example": "Concert, row 4",
            "pattern": "^[^\\u0000-\\u001f\\u007f]*$",
            "description": "One line: no control characters.",
        },
    )
    price = Price(
        required=True,
        metadata={
            "type": ["string", "number"],
            "description": "A number or decimal string, > 0 and <= 1000000.00, "
            "at most two decimal places.",
            "example": "20.00",
        },
    )


class PageQuerySchema(ma.Schema):
    """Where to start and how many tickets to return."""

    cursor = PageCursor(metadata={"description": "The nextCursor of the previous page."})
    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT)
    )


class ListQuerySchema(PageQuerySchema):
    """The public list: available tickets, or one seller's tickets in every status."""

    sellerId = ma.fields.UUID(metadata={"description": "Show this seller's tickets, any status."})


class TicketSchema(ma.Schema):
    """A ticket as the API shows it."""

    id = ma.fields.UUID(required=True)
    title = ma.fields.String(required=True)
    price = ma.fields.String(required=True, metadata={"example": "20.00"})
    currency = ma.fields.String(required=True, metadata={"example": "usd"})
    sellerId = ma.fields.UUID(required=True)
    orderId = ma.fields.UUID(
        required=True,
        allow_none=True,
        metadata={"description": "The order holding or having bought it."},
    )
    status = ma.fields.Enum(TicketStatus, by_value=True, required=True)
    version = ma.fields.Integer(required=True)
    createdAt = ma.fields.String(required=True)
    updatedAt = ma.fields.String(required=True)


class TicketPageSchema(ma.Schema):
    """One page of tickets, newest first."""

    items = ma.fields.List(ma.fields.Nested(TicketSchema), required=True)
    nextCursor = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "null on the last page"}
    )
