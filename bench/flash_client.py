"""The flash-sale benchmark's client: bench/load.py's connection, keeping the answer's headers.

An on-sale client needs Retry-After and Queue-Position to behave as a well-mannered buyer
does (come back when told to, keep its place in line).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bench.load import CONNECTION_ERRORS, HttpConnection


@dataclass(frozen=True)
class Answer:
    """One response (status 0: no answer; `error` says what happened instead)."""

    status: int
    headers: dict[str, str]
    body: Any
    error: str = ""

    def header_int(self, name: str) -> int | None:
        value = self.headers.get(name.lower(), "")
        return int(value) if value.isdigit() else None


class Connection(HttpConnection):
    """bench/load.py's kept-alive connection, answering with the headers and parsed JSON."""

    async def send(self, method: str, path: str, document: Any, token: str | None) -> Answer:
        """Send one JSON request; an Answer with status 0 when the connection failed."""
        body = b"" if document is None else json.dumps(document).encode()
        try:
            status, headers, payload = await self.exchange(method, path, body, token)
        except CONNECTION_ERRORS as exc:
            return Answer(0, {}, None, type(exc).__name__)
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = payload.decode(errors="replace")
        return Answer(status, headers, parsed)
