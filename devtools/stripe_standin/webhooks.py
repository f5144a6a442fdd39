"""Signed webhook delivery in background threads, with Stripe-like retries and test knobs."""

from __future__ import annotations

import hashlib
import heapq
import hmac
import http.client
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from devtools.stripe_standin.errors import JsonObject
from devtools.stripe_standin.logs import log_json

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
_WORKERS = 4
_ATTEMPT_LOG_LIMIT = 10_000


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    """Stripe's `Stripe-Signature`: `t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">`."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(frozen=True)
class WebhookSettings:
    """Where events go and how: endpoint, secret, and the duplicate/delay/retry knobs."""

    url: str | None = None
    secret: str | None = None
    duplicates: int = 0
    delay_ms: int = 0
    retries: int = 3
    backoff_ms: int = 500
    timeout_s: float = 5.0

    def validated(self) -> WebhookSettings:
        """These settings, or ValueError naming what is wrong."""
        if self.url is not None:
            if urlsplit(self.url).scheme not in ("http", "https") or not urlsplit(self.url).netloc:
                raise ValueError(f"webhook URL must be http(s)://host[:port]/path: {self.url!r}")
            if not self.secret:
                raise ValueError("a webhook URL needs a webhook secret (whsec_...)")
        for name in ("duplicates", "delay_ms", "retries", "backoff_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        return self

    def describe(self) -> dict[str, Any]:
        """The settings as the control API shows them (the secret only as set or not)."""
        return {
            "url": self.url,
            "secretSet": bool(self.secret),
            "duplicates": self.duplicates,
            "delayMs": self.delay_ms,
            "retries": self.retries,
            "backoffMs": self.backoff_ms,
            "timeoutS": self.timeout_s,
        }

    def updated(self, changes: dict[str, Any]) -> WebhookSettings:
        """A copy with control-API changes (camelCase keys) applied and validated."""
        names = {
            "url": "url",
            "secret": "secret",
            "duplicates": "duplicates",
            "delayMs": "delay_ms",
            "retries": "retries",
            "backoffMs": "backoff_ms",
            "timeoutS": "timeout_s",
        }
        unknown = set(changes) - set(names)
        if unknown:
            raise ValueError(f"unknown fields: {sorted(unknown)}")
        for key, value in changes.items():
            expected = (str, type(None)) if key in ("url", "secret") else (int, float)
            if not isinstance(value, expected) or isinstance(value, bool):
                raise ValueError(f"{key} has the wrong type")
            if key not in ("url", "secret", "timeoutS") and not isinstance(value, int):
                raise ValueError(f"{key} must be an integer")
        return replace(self, **{names[k]: v for k, v in changes.items()}).validated()


@dataclass(order=True)
class _Delivery:
    """One attempt to post one copy of one event, due at a monotonic time."""

    due: float
    seq: int
    event_id: str = field(compare=False)
    event_type: str = field(compare=False)
    payload: bytes = field(compare=False)
    url: str = field(compare=False)
    secret: str = field(compare=False)
    copy: int = field(compare=False)
    attempt: int = field(compare=False, default=1)


class WebhookDispatcher:
    """Posts events to the endpoint from worker threads; publishing never blocks."""

    def __init__(
        self,
        settings: WebhookSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings.validated()
        self._clock = clock
        self._wall_clock = wall_clock
        self._cond = threading.Condition()
        self._queue: list[_Delivery] = []
        self._seq = itertools.count()
        self._in_flight = 0
        self._attempts: list[JsonObject] = []
        self._stopping = False
        self._threads: list[threading.Thread] = []

    @property
    def settings(self) -> WebhookSettings:
        """The settings new events are delivered with."""
        with self._cond:
            return self._settings

    def configure(self, settings: WebhookSettings) -> None:
        """Use new settings for events published from now on."""
        with self._cond:
            self._settings = settings.validated()

    def start(self) -> None:
        """Start the delivery workers."""
        for index in range(_WORKERS):
            thread = threading.Thread(
                target=self._work, name=f"stripe-standin-webhooks-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers; undelivered events are dropped."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout)

    def publish(self, event: JsonObject) -> None:
        """Queue an event for each configured copy; nothing is queued without an endpoint."""
        settings = self.settings
        if settings.url is None or settings.secret is None:
            return
        payload = json.dumps(event, indent=2).encode()
        due = self._clock() + settings.delay_ms / 1000
        with self._cond:
            for copy in range(1 + settings.duplicates):
                heapq.heappush(
                    self._queue,
                    _Delivery(
                        due=due,
                        seq=next(self._seq),
                        event_id=event["id"],
                        event_type=event["type"],
                        payload=payload,
                        url=settings.url,
                        secret=settings.secret,
                        copy=copy,
                    ),
                )
            self._cond.notify_all()

    def attempts(self) -> list[JsonObject]:
        """Every delivery attempt so far, oldest first."""
        with self._cond:
            return [dict(attempt) for attempt in self._attempts]

    def pending(self) -> int:
        """Deliveries queued, waiting for a retry, or in flight."""
        with self._cond:
            return len(self._queue) + self._in_flight

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is pending; False if `timeout` seconds pass first."""
        deadline = self._clock() + timeout
        with self._cond:
            while self._queue or self._in_flight:
                left = deadline - self._clock()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def clear(self) -> None:
        """Drop queued deliveries and the attempt log."""
        with self._cond:
            self._queue.clear()
            self._attempts.clear()
            self._cond.notify_all()

    def _work(self) -> None:
        """Worker loop: take the next due delivery, post it, reschedule it if it failed."""
        while True:
            with self._cond:
                delivery = self._next_due()
                if delivery is None:
                    return
                self._in_flight += 1
            status, error = self._post(delivery)
            with self._cond:
                self._in_flight -= 1
                self._record(delivery, status, error)
                settings = self._settings
                failed = error is not None or status is None or not 200 <= status < 300
                if failed and delivery.attempt <= settings.retries and not self._stopping:
                    backoff = settings.backoff_ms / 1000 * 2 ** (delivery.attempt - 1)
                    delivery.attempt += 1
                    delivery.due = self._clock() + backoff
                    delivery.seq = next(self._seq)
                    heapq.heappush(self._queue, delivery)
                self._cond.notify_all()

    def _next_due(self) -> _Delivery | None:
        """Block (holding the condition) until a delivery is due; None once stopping."""
        while not self._stopping:
            if self._queue:
                wait = self._queue[0].due - self._clock()
                if wait <= 0:
                    return heapq.heappop(self._queue)
                self._cond.wait(wait)
            else:
                self._cond.wait()
        return None

    def _post(self, delivery: _Delivery) -> tuple[int | None, str | None]:
        """POST one signed copy; the HTTP status, or the connection error."""
        target = urlsplit(delivery.url)
        connection_class = (
            http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
        )
        path = (target.path or "/") + (f"?{target.query}" if target.query else "")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Accept": "*/*; q=0.5, application/xml",
            "Cache-Control": "no-cache",
            "Stripe-Signature": signature_header(
                delivery.payload, delivery.secret, int(self._wall_clock())
            ),
        }
        connection = connection_class(target.netloc, timeout=self.settings.timeout_s)
        try:
            connection.request("POST", path, body=delivery.payload, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status, None
        except (OSError, http.client.HTTPException) as exc:
            return None, f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()

    def _record(self, delivery: _Delivery, status: int | None, error: str | None) -> None:
        """Keep and log one attempt (the log is capped; the oldest go first)."""
        attempt = {
            "eventId": delivery.event_id,
            "type": delivery.event_type,
            "copy": delivery.copy,
            "attempt": delivery.attempt,
            "status": status,
            "error": error,
            "at": round(self._wall_clock(), 3),
        }
        self._attempts.append(attempt)
        del self._attempts[:-_ATTEMPT_LOG_LIMIT]
        ok = error is None and status is not None and 200 <= status < 300
        log_json("webhook", logging.INFO if ok else logging.WARNING, **attempt)
