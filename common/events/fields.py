"""Strict marshmallow fields for event data: no coercion of bools, numbers or naive times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma

from common.clock import isoformat_z


class StrictInteger(ma.fields.Integer):
    """A JSON integer; rejects floats, numeric strings and booleans."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(ma.fields.Field[bool]):
    """A JSON true/false and nothing else."""

    default_error_messages = {"invalid": "Not a boolean."}  # noqa: RUF012 - marshmallow's API

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> bool | None:
        return None if value is None else bool(value)


class UtcTime(ma.fields.Field[datetime]):
    """An aware moment; loads ISO 8601 with an offset (or an aware datetime), dumps `...Z`."""

    default_error_messages = {  # noqa: RUF012 - marshmallow's API
        "invalid": "Not an ISO 8601 time with a timezone.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError as exc:
                raise self.make_error("invalid") from exc
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise self.make_error("invalid")
        return value.astimezone(UTC)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else isoformat_z(value)
