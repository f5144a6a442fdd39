"""Load-generation plumbing of the benchmarks: a lean HTTP/1.1 client, users, figures.

The client speaks raw HTTP/1.1 on asyncio streams over a kept-alive connection: http.client
or requests parse headers with the email package and would spend more CPU per request than
the server's own database work, on the same two CPUs. Each simulated user connects from a
loopback address of its own (127.77.x.y), as distinct clients would: the auth service's
sign-in limit counts per client IP, and this keeps the benchmark off the shared 127.0.0.1
counter other runs on this machine use.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from deploy.nginx.render import Sizing

# The buyers of the order benchmarks: as many as the gateway lets at one service at once.
# More would be answered 503 at once by design (NGINX limit_conn, docs/on-sale.md).
GATEWAY_INFLIGHT = Sizing.upstream_inflight

PASSWORD = "bench-password-1234"  # noqa: S105 - throwaway accounts of a benchmark run


def source_address(index: int) -> str:
    """A distinct loopback address per simulated client (Linux routes all of 127/8 to lo)."""
    return f"127.77.{index // 250}.{index % 250 + 1}"


@dataclass(frozen=True)
class Figures:
    """What one load run measured."""

    label: str
    count: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile of the latencies, in ms."""
        return percentile(self.latencies_ms, fraction)

    def line(self) -> str:
        worst = max(self.latencies_ms, default=0.0)
        mean = statistics.fmean(self.latencies_ms or [0.0])
        return (
            f"{self.label:<28} {self.rate:7.0f} /s   p50 {self.percentile(0.5):6.1f} ms   "
            f"p99 {self.percentile(0.99):6.1f} ms   max {worst:6.1f} ms   "
            f"mean {mean:6.1f} ms   n={self.count} errors={self.errors}"
        )


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of `values` (same unit); NaN when there are none."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


# How a request fails when the connection does (refused, reset, cut short, garbled).
CONNECTION_ERRORS = (OSError, asyncio.IncompleteReadError, ValueError)


class HttpConnection:
    """One kept-alive HTTP/1.1 connection from a chosen source address; reopens when closed."""

    def __init__(self, base: str, source: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.source = source
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        """Open the connection now (requests open it on demand otherwise)."""
        await self._open()

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port, local_addr=(self.source, 0), limit=1 << 20
            )
        return self.reader, self.writer

    async def exchange(
        self, method: str, path: str, body: bytes = b"", token: str | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """Status, headers (lower-case names) and body of one request.

        Raises one of CONNECTION_ERRORS, the connection closed, when it failed.
        """
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        if body:
            head += "Content-Type: application/json\r\n"
        head += f"Content-Length: {len(body)}\r\n\r\n"
        try:
            reader, writer = await self._open()
            writer.write(head.encode() + body)
            status, headers, payload = await _response(reader)
        except CONNECTION_ERRORS:
            self.close()
            raise
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, payload

    async def request(
        self, method: str, path: str, body: bytes = b"", token: str | None = None
    ) -> tuple[int, bytes]:
        """Status and body of one request; status 0 and the error when the connection failed."""
        try:
            status, _, payload = await self.exchange(method, path, body, token)
        except CONNECTION_ERRORS as exc:
            return 0, repr(exc).encode()
        return status, payload

    async def json(
        self, method: str, path: str, document: dict[str, Any], token: str | None = None
    ) -> tuple[int, Any]:
        status, payload = await self.request(method, path, json.dumps(document).encode(), token)
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, payload.decode(errors="replace")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """Status, header fields (lower-case names) and body of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            fields[name.strip().lower()] = value.strip()
    if fields.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            body += (await reader.readexactly(size + 2))[:-2]
        await reader.readuntil(b"\r\n")
    else:
        body = await reader.readexactly(int(fields.get("content-length", "0")))
    return status, fields, body


@dataclass(frozen=True)
class User:
    """A signed-up account and its bearer access token; `index` picks its source address."""

    index: int
    id: uuid.UUID
    email: str
    token: str


async def sign_up(base: str, index: int, tag: str) -> User:
    """Sign up through the gateway, then get a bearer token from POST /api/users/tokens."""
    connection = HttpConnection(base, source_address(index))
    credentials = {"email": f"bench-{tag}-{index}@example.com", "password": PASSWORD}
    try:
        status, created = await connection.json("POST", "/api/users/signup", credentials)
        if status != 201:
            raise RuntimeError(f"signup answered {status}: {created}")
        status, tokens = await connection.json("POST", "/api/users/tokens", credentials)
        if status != 200:
            raise RuntimeError(f"tokens answered {status}: {tokens}")
    finally:
        connection.close()
    return User(index, uuid.UUID(created["id"]), credentials["email"], tokens["accessToken"])


async def sign_up_many(
    base: str, first_index: int, count: int, tag: str, at_once: int = 4
) -> list[User]:
    """`count` users, `at_once` at a time: each argon2 hash takes 64 MiB and a CPU for a while."""
    gate = asyncio.Semaphore(at_once)

    async def one(index: int) -> User:
        async with gate:
            return await sign_up(base, index, tag)

    return list(await asyncio.gather(*(one(first_index + i) for i in range(count))))


# One buyer's run: its connection, token, tickets and the start signal -> (latencies, errors).
BuyerRun = Callable[
    ["HttpConnection", str, Sequence[uuid.UUID], asyncio.Event],
    Awaitable[tuple[list[float], list[str]]],
]


def drive_buyers(
    base: str,
    buyers: Sequence[tuple[int, str]],
    tickets: Sequence[uuid.UUID],
    label: str,
    run: BuyerRun,
) -> Figures:
    """Every buyer at once; buyer i (source index, token) takes tickets[i::len(buyers)]."""

    async def all_buyers() -> tuple[float, list[tuple[list[float], list[str]]]]:
        start = asyncio.Event()
        running = [
            asyncio.create_task(
                run(
                    HttpConnection(base, source_address(index)),
                    token,
                    tickets[i :: len(buyers)],
                    start,
                )
            )
            for i, (index, token) in enumerate(buyers)
        ]
        await asyncio.sleep(0.3)  # every connection is open before the clock starts
        started = time.perf_counter()
        start.set()
        results = await asyncio.gather(*running)
        return time.perf_counter() - started, results

    seconds, results = asyncio.run(all_buyers())
    latencies = [ms for found, _ in results for ms in found]
    errors = [error for _, failed in results for error in failed]
    for error in errors[:5]:
        print(f"  error: {error}", file=sys.stderr)
    return Figures(label, len(latencies), len(errors), seconds, latencies)
