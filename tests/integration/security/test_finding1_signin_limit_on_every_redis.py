"""Finding 1: sign-in is rate limited on the embedded Redis 6.2, and when Redis is down."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from devstack.ports import free_port

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}


def wrong_passwords(client: FlaskClient, count: int) -> list[int]:
    return [
        client.post(
            "/api/users/signin",
            json={"email": f"guess{i}@example.com", "password": "wrong"},
            environ_base=ATTACKER,
        ).status_code
        for i in range(count)
    ]


def test_signin_attempts_get_429_on_the_embedded_redis_6_2(
    make_auth: Callable[..., Flask], embedded_redis_url: str
) -> None:
    client = make_auth(REDIS_URL=embedded_redis_url, SIGNIN_IP_LIMIT="5").test_client()
    statuses = wrong_passwords(client, 8)
    assert statuses == [401] * 5 + [429] * 3
    refused = client.post(
        "/api/users/signin",
        json={"email": "x@example.com", "password": "wrong"},
        environ_base=ATTACKER,
    )
    assert refused.mimetype == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_signin_stays_limited_and_counted_when_redis_is_down(
    make_auth: Callable[..., Flask],
) -> None:
    nobody_listens = f"redis://127.0.0.1:{free_port()}/0"
    app = make_auth(REDIS_URL=nobody_listens, SIGNIN_IP_LIMIT="5")
    client = app.test_client()
    assert wrong_passwords(client, 7) == [401] * 5 + [429] * 2
    metrics = client.get("/metrics").get_data(as_text=True)
    errors = [
        line
        for line in metrics.splitlines()
        if line.startswith('ratelimit_backend_errors_total{limiter="signin"}')
    ]
    assert errors and float(errors[0].split()[-1]) >= 7
    assert 'ratelimit_fallback_active{limiter="signin"} 1.0' in metrics
