"""The flash-sale benchmark's client: raw HTTP/1.1 on asyncio that keeps the answer's headers.

bench/load.py's client drops headers; an on-sale client needs Retry-After and Queue-Position
to behave as a well-mannered buyer does (come back when told to, keep its place in line).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


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


class Connection:
    """One kept-alive HTTP/1.1 connection from a chosen source address; reopens when closed."""

    def __init__(self, base: str, source: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.source = source
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        if self.reader is None or self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port, local_addr=(self.source, 0), limit=1 << 20
            )

    async def send(self, method: str, path: str, document: Any, token: str | None) -> Answer:
        """Send one JSON request; an Answer with status 0 when the connection failed."""
        body = b"" if document is None else json.dumps(document).encode()
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        head += f"Content-Length: {len(body)}\r\n"
        if body:
            head += "Content-Type: application/json\r\n"
        try:
            await self.open()
            assert self.reader is not None and self.writer is not None
            self.writer.write(head.encode() + b"\r\n" + body)
            await self.writer.drain()
            status, headers, payload = await _read(self.reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.close()
            return Answer(0, {}, None, type(exc).__name__)
        if headers.get("connection", "").lower() == "close":
            self.close()
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = payload.decode(errors="replace")
        return Answer(status, headers, parsed)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _read(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            body += (await reader.readexactly(size + 2))[:-2]
        await reader.readuntil(b"\r\n")
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body
