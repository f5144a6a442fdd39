"""Keyset pagination for every list: an opaque cursor naming the last row seen (newest first)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from common.errors import FieldError, ValidationFailed

T = TypeVar("T")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class InvalidCursor(ValueError):
    """The cursor was not issued by us (or was altered)."""


@dataclass(frozen=True)
class Cursor:
    """Position after the row (created_at, id) in newest-first order."""

    created_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps({"c": self.created_at.isoformat(), "i": str(self.id)})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            fields = json.loads(raw)
            created_at = datetime.fromisoformat(fields["c"])
            row_id = uuid.UUID(fields["i"])
        except (binascii.Error, ValueError, TypeError, KeyError) as exc:
            raise InvalidCursor("Not a valid cursor.") from exc
        if created_at.tzinfo is None:
            raise InvalidCursor("Not a valid cursor.")
        return cls(created_at, row_id)


@dataclass(frozen=True)
class PageRequest:
    """Where a page starts and how many rows it holds."""

    after: Cursor | None = None
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class Page(Generic[T]):
    """Some rows, and the cursor of the next page (None at the end)."""

    items: Sequence[T]
    next_cursor: str | None


def decode_cursor(token: str) -> Cursor:
    """A `cursor` query parameter -> Cursor; 422 on the `cursor` field when we did not make it."""
    try:
        return Cursor.decode(token)
    except InvalidCursor as exc:
        raise ValidationFailed(errors=[FieldError(str(exc), "cursor")]) from exc
