"""What the gateway sends upstream and what it hands back: headers, request target, body."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPResponse
from urllib.parse import quote
from wsgiref.types import InputStream, WSGIEnvironment

CHUNK_BYTES = 64 * 1024
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
# The gateway sets these itself; `expect` was already answered by the WSGI server.
REPLACED_REQUEST_HEADERS = frozenset(
    {
        "host",
        "expect",
        "content-length",
        "x-forwarded-proto",
        "x-forwarded-host",
        "x-forwarded-for",
        "x-request-id",
        "x-request-start",
    }
)
# The WSGI server writes its own Server and Date; the gateway's request id is the one returned.
REPLACED_RESPONSE_HEADERS = frozenset({"server", "date", "x-request-id"})


def request_target(environ: WSGIEnvironment) -> str:
    """The path and query exactly as the client sent them."""
    raw = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    if raw.startswith("/"):
        return raw
    path = quote(
        environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), safe="/:@!$&'()*+,;=%"
    )
    query = environ.get("QUERY_STRING", "")
    return f"{path}?{query}" if query else path


def _connection_tokens(value: str) -> set[str]:
    return {token.strip().lower() for token in value.split(",") if token.strip()}


def request_headers(environ: WSGIEnvironment, request_id: str) -> list[tuple[str, str]]:
    """The client's end-to-end headers plus Host, X-Forwarded-* and X-Request-Id."""
    dropped = (
        HOP_BY_HOP
        | REPLACED_REQUEST_HEADERS
        | _connection_tokens(environ.get("HTTP_CONNECTION", ""))
    )
    headers: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
        elif key in {"CONTENT_TYPE", "CONTENT_LENGTH"} and value:
            name = key.replace("_", "-").title()
        else:
            continue
        if name.lower() not in dropped:
            headers.append((name, str(value)))
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    client = environ.get("REMOTE_ADDR", "")
    forwarded_for = environ.get("HTTP_X_FORWARDED_FOR")
    headers += [
        ("Host", host),
        ("X-Forwarded-For", f"{forwarded_for}, {client}" if forwarded_for else client),
        ("X-Forwarded-Proto", environ.get("wsgi.url_scheme", "http")),
        ("X-Forwarded-Host", host),
        ("X-Request-Id", request_id),
        # When the gateway received it, as NGINX stamps it: services shed what waited too long.
        ("X-Request-Start", f"t={time.time():.3f}"),
    ]
    return headers


def response_headers(response: HTTPResponse, request_id: str) -> list[tuple[str, str]]:
    """The upstream's end-to-end headers (every Set-Cookie kept) and the request id."""
    dropped = (
        HOP_BY_HOP
        | REPLACED_RESPONSE_HEADERS
        | _connection_tokens(response.getheader("Connection", ""))
    )
    headers = [
        (name, value) for name, value in response.getheaders() if name.lower() not in dropped
    ]
    return [*headers, ("X-Request-Id", request_id)]


def body_chunks(stream: InputStream, length: int) -> Iterator[bytes]:
    """Read `length` bytes (fewer if the client stops early) from the request, a chunk at a time."""
    remaining = length
    while remaining > 0:
        chunk = stream.read(min(CHUNK_BYTES, remaining))
        if not chunk:
            return
        remaining -= len(chunk)
        yield chunk


@dataclass(frozen=True)
class RequestBody:
    """The request body to forward: its size (None when the request has none) and its bytes."""

    length: int | None
    chunks: Iterable[bytes]


def request_body(environ: WSGIEnvironment, limit: int) -> RequestBody:
    """The body of the request; a chunked one is read into memory, at most `limit` + 1 bytes."""
    stream: InputStream = environ["wsgi.input"]
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        data = stream.read(limit + 1)
        return RequestBody(len(data), (data,))
    raw = environ.get("CONTENT_LENGTH")
    if not raw:
        return RequestBody(None, ())
    length = int(raw)
    if length < 0:
        raise ValueError("negative Content-Length")
    return RequestBody(length, body_chunks(stream, length))


class UpstreamBody:
    """The upstream response body streamed to the client; closing it closes the connection."""

    def __init__(self, connection: HTTPConnection, response: HTTPResponse) -> None:
        self._connection = connection
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self._response.read1(CHUNK_BYTES):
            yield chunk

    def close(self) -> None:
        self._response.close()
        self._connection.close()
