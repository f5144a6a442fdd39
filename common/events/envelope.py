"""The envelope every integration event travels in: {id, type, occurredAt, correlationId, data}."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from common.clock import Clock, SystemClock, isoformat_z
from common.events.catalogue import check_data, validate_data
from common.logging import request_id_var

_KEYS = {"id", "type", "occurredAt", "correlationId", "data"}


@dataclass(frozen=True)
class Envelope:
    """One immutable event; its `id` is what makes every consumer idempotent."""

    id: uuid.UUID
    type: str
    occurred_at: datetime
    correlation_id: str | None
    data: dict[str, Any]

    def to_json(self) -> bytes:
        """The wire form: UTF-8 JSON with camelCase keys."""
        body = {
            "id": str(self.id),
            "type": self.type,
            "occurredAt": isoformat_z(self.occurred_at),
            "correlationId": self.correlation_id,
            "data": self.data,
        }
        return json.dumps(body, separators=(",", ":"), sort_keys=False).encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> Envelope:
        """Parse and validate a wire envelope; raises ValueError on anything off-contract."""
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"event is not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise ValueError("event is not a JSON object")
        missing = sorted(_KEYS - body.keys())
        if missing:
            raise ValueError(f"event lacks {', '.join(missing)}")
        kind, data, correlation = body["type"], body["data"], body["correlationId"]
        if not isinstance(kind, str) or not isinstance(data, dict):
            raise ValueError("event type must be a string and data an object")
        if correlation is not None and not isinstance(correlation, str):
            raise ValueError("correlationId must be a string or null")
        try:
            event_id = uuid.UUID(str(body["id"]))
            occurred_at = datetime.fromisoformat(str(body["occurredAt"]))
        except ValueError as exc:
            raise ValueError(f"bad event id or occurredAt: {exc}") from exc
        if occurred_at.tzinfo is None:
            raise ValueError("occurredAt must carry a timezone")
        check_data(kind, data)
        return cls(event_id, kind, occurred_at.astimezone(UTC), correlation, data)


def new_event(
    type: str,
    data: Mapping[str, Any],
    *,
    clock: Clock | None = None,
    correlation_id: str | None = None,
) -> Envelope:
    """A fresh event with a new id, its data checked and normalised by the catalogue schema."""
    moment = (clock or SystemClock()).now().astimezone(UTC)
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return Envelope(
        id=uuid.uuid4(),
        type=type,
        occurred_at=moment,
        correlation_id=correlation_id if correlation_id is not None else request_id_var.get(),
        data=validate_data(type, data, strict=True),
    )
