"""Liveness (/healthz) and readiness (/readyz) endpoints with dependency checks."""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from urllib.parse import urlparse

import redis
from flask import Flask, Response, jsonify
from sqlalchemy import text
from sqlalchemy.engine import Engine

Check = Callable[[], None]


def database_check(engine: Engine) -> Check:
    """The service's database answers a query."""

    def check() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    return check


def redis_check(url: str) -> Check:
    """Redis answers PING."""

    def check() -> None:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        try:
            client.ping()
        finally:
            client.close()

    return check


def nats_check(url: str) -> Check:
    """The NATS server greets us with its INFO line."""
    first = url.split(",")[0]
    parsed = urlparse(first if "://" in first else f"nats://{first}")
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 4222

    def check() -> None:
        with socket.create_connection((host, port), timeout=1) as connection:
            greeting = connection.recv(7)
        if not greeting.startswith(b"INFO"):
            raise ConnectionError("NATS did not greet with INFO")

    return check


def install_health(app: Flask, checks: Mapping[str, Check]) -> None:
    """/healthz says the process is alive; /readyz says its dependencies answer."""

    def healthz() -> Response:
        return jsonify(status="ok")

    def readyz() -> tuple[Response, int]:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:  # a readiness probe reports any failure, it never raises
                results[name] = f"failed: {type(exc).__name__}"
        ready = all(result == "ok" for result in results.values())
        return jsonify(status="ok" if ready else "unavailable", checks=results), (
            200 if ready else 503
        )

    app.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
    app.add_url_rule("/readyz", "readyz", readyz, methods=["GET"])
