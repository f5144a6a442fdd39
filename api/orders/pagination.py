"""Opaque keyset cursors for lists ordered newest first by (created_at, id)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from common.errors import FieldError, ValidationFailed


@dataclass(frozen=True)
class Position:
    """The last item of a page: the next page starts strictly after it."""

    created_at: datetime
    id: uuid.UUID


def encode_cursor(position: Position) -> str:
    """Position -> URL-safe opaque text."""
    raw = json.dumps([position.created_at.isoformat(), str(position.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    """Opaque text -> Position; 422 when it was not made by encode_cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, item_id = json.loads(raw)
        position = Position(datetime.fromisoformat(created_at), uuid.UUID(item_id))
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValidationFailed(errors=[FieldError("Not a valid cursor.", "cursor")]) from exc
    if position.created_at.tzinfo is None:
        raise ValidationFailed(errors=[FieldError("Not a valid cursor.", "cursor")])
    return position
