"""Bounded waiting: a request that cannot be answered within the bound gets a fast 503.

Requests wait in three places before a service works on them: NGINX (connecting to the
upstream, at most 16 at a service at once), gunicorn (the listen backlog, then the gthread
queue until a thread is free) and the database pool. NGINX stamps `X-Request-Start:
t=<seconds since the epoch>` when it receives a request; the gate below, the first thing a
gunicorn thread runs, answers 503 at once when that stamp is older than the bound less the
time the service has recently taken to answer (at most half the bound): it could not answer
within the bound, and working on it now would only make every later request late too. It
then takes one of a limited number of slots per process (ADMISSION_CONCURRENCY), waiting at
most what is left of the bound. The database pool waits at most the bound as well
(common.db.make_engine), and a pool time-out is a 503 too.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, request
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy.exc import TimeoutError as PoolTimeout

from common.http.admission_settings import AdmissionSettings

PROBLEM_JSON = "application/problem+json"
START_HEADER = "HTTP_X_REQUEST_START"
# Probes and scrapes always go through: a busy service is not a dead one.
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# A stamp further in the past than this is a clock that disagrees, not a queue.
MAX_BELIEVABLE_AGE_SECONDS = 120.0
# Weight of the latest request in the moving average of the time the service takes.
SERVICE_TIME_WEIGHT = 0.1

log = logging.getLogger(__name__)
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def queued_seconds(stamp: str | None, now: float) -> float:
    """Seconds since NGINX received the request (`t=1733390000.123`); 0 when unknown."""
    if not stamp:
        return 0.0
    try:
        started = float(stamp.strip().removeprefix("t="))
    except ValueError:
        return 0.0
    if started > 1e11:  # milliseconds or microseconds, as some proxies send
        started /= 1000 if started < 1e14 else 1_000_000
    age = now - started
    return age if 0 < age < MAX_BELIEVABLE_AGE_SECONDS else 0.0


def shed_body(status: int, detail: str, request_id: str | None) -> bytes:
    """The problem+json of a request turned away before any work."""
    return json.dumps(
        {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": status,
            "detail": detail,
            "errors": [{"message": detail, "field": None}],
            "requestId": request_id,
        }
    ).encode()


class AdmissionGate:
    """WSGI middleware: shed requests that waited past the bound; at most N at work at once."""

    def __init__(
        self, app: WsgiApp, settings: AdmissionSettings, service: str, registry: CollectorRegistry
    ) -> None:
        self.app, self.settings = app, settings
        self.slots = (
            threading.BoundedSemaphore(settings.concurrency) if settings.concurrency else None
        )
        self.shed = Counter(
            "http_requests_shed_total",
            "Requests answered 503 at once because they waited past ADMISSION_MAX_WAIT_SECONDS",
            ["service", "reason"],
            registry=registry,
        )
        self.in_flight = Gauge(
            "http_requests_in_flight", "Requests at work in this process", ["service"],
            registry=registry,
        )  # fmt: skip
        self.service = service
        # The recent time to answer once started (a moving average, updated without a lock:
        # a lost update among racing threads only delays the average by one request).
        self.service_seconds = 0.0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") in EXEMPT_PATHS:
            return self.app(environ, start_response)
        left = self.settings.max_wait_seconds - queued_seconds(
            environ.get(START_HEADER), time.time()
        )
        if left <= 0:
            return self._turn_away(environ, start_response, "queued")
        if self.slots is None:
            return self._run(environ, start_response)
        if not self.slots.acquire(timeout=left):
            return self._turn_away(environ, start_response, "busy")
        try:
            return self._run(environ, start_response)
        finally:
            self.slots.release()

    def _run(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        gauge = self.in_flight.labels(self.service)
        gauge.inc()
        started = time.perf_counter()
        try:
            return self.app(environ, start_response)
        finally:
            gauge.dec()
            took = time.perf_counter() - started
            self.service_seconds += SERVICE_TIME_WEIGHT * (took - self.service_seconds)

    def _turn_away(
        self, environ: dict[str, Any], start_response: StartResponse, reason: str
    ) -> list[bytes]:
        self.shed.labels(self.service, reason).inc()
        body = shed_body(
            503,
            "The service is busy; try again in a moment.",
            environ.get("HTTP_X_REQUEST_ID"),
        )
        start_response(
            "503 Service Unavailable",
            [
                ("Content-Type", PROBLEM_JSON),
                ("Content-Length", str(len(body))),
                ("Retry-After", str(self.settings.retry_after)),
                ("Cache-Control", "no-store"),
            ],
        )
        return [body]


def pool_timeout_problem(settings: AdmissionSettings) -> Callable[[PoolTimeout], Response]:
    """Waiting past the bound for a database connection: 503 with Retry-After, not a 500."""

    def handle(error: PoolTimeout) -> Response:
        log.warning("database pool exhausted: %s", error, extra={"path": request.path})
        body = shed_body(
            503, "The service is busy; try again in a moment.", request.headers.get("X-Request-Id")
        )
        response = Response(body, status=503, mimetype=PROBLEM_JSON)
        response.headers["Retry-After"] = str(settings.retry_after)
        return response

    return handle


def install_admission(app: Flask, settings: AdmissionSettings, service: str) -> None:
    """Put the gate in front of the app and map a database pool time-out to 503."""
    metrics = app.extensions["metrics"]
    app.wsgi_app = AdmissionGate(  # type: ignore[method-assign]
        app.wsgi_app, settings, service, metrics.registry
    )
    app.register_error_handler(PoolTimeout, pool_timeout_problem(settings))
    app.extensions["admission"] = settings
