"""Prometheus metrics: request counts and latency by route and status, per app."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from common.saga_metrics import REGISTRY as SAGA_REGISTRY

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class HttpMetrics:
    """The metrics of one Flask app, in a registry of its own."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests handled",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["service", "method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.service = service

    def install(self, app: Flask) -> None:
        app.before_request(self._start)
        app.after_request(self._observe)
        app.add_url_rule("/metrics", "metrics", self.expose, methods=["GET"])
        app.extensions["metrics"] = self

    def _start(self) -> None:
        g.metrics_started = time.perf_counter()

    def _observe(self, response: Response) -> Response:
        started = g.pop("metrics_started", None)
        route = request.url_rule.rule if request.url_rule else "<unmatched>"
        self.requests.labels(self.service, request.method, route, str(response.status_code)).inc()
        if started is not None:
            elapsed = time.perf_counter() - started
            self.latency.labels(self.service, request.method, route).observe(elapsed)
        return response

    def expose(self) -> Response:
        """The app's request metrics and the saga's (steps this process recorded)."""
        body = generate_latest(self.registry) + generate_latest(SAGA_REGISTRY)
        return Response(body, mimetype=CONTENT_TYPE_LATEST)
