"""One HTTP delivery: to a checked address of the endpoint's host, signed, with timeouts."""

from __future__ import annotations

import time
from dataclasses import dataclass

import urllib3
from urllib3.exceptions import HTTPError

from api.webhooks.signing import EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, sign
from api.webhooks.targets import TargetRefused, parse_target, resolve

USER_AGENT = "Ticketing-Webhooks/1.0"
MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class Outcome:
    """What the receiver answered (status_code) or why nothing was received (error)."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Message:
    """A delivery ready to send."""

    url: str
    event_id: str
    event_type: str
    body: bytes
    secrets: tuple[str, ...]


def send(message: Message, *, timeout: float, allow_private: bool, require_https: bool) -> Outcome:
    """POST the event; the connection goes to an address checked just now, never re-resolved."""
    started = time.monotonic()

    def done(status: int | None, error: str | None) -> Outcome:
        elapsed = int((time.monotonic() - started) * 1000)
        return Outcome(status, error[:MAX_ERROR_LENGTH] if error else None, elapsed)

    try:
        target = parse_target(message.url, require_https=require_https)
        address = str(resolve(target, allow_private=allow_private)[0])
    except TargetRefused as exc:
        return done(None, f"refused: {exc}")
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_ID_HEADER: message.event_id,
        EVENT_TYPE_HEADER: message.event_type,
        SIGNATURE_HEADER: sign(message.body, message.secrets, int(time.time())),
    }
    pool: urllib3.HTTPConnectionPool
    limits = urllib3.Timeout(connect=min(timeout, 5.0), read=timeout)
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=limits,
            retries=False,
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, timeout=limits, retries=False)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=message.body,
            headers=headers,
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        response.read(4096)
        response.release_conn()
        return done(response.status, None)
    except HTTPError as exc:
        return done(None, f"{type(exc).__name__}: {exc}")
    finally:
        pool.close()
