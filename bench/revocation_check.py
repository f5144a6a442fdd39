"""What the revoked-family check adds to each authenticated request (finding 3 of issue #15).

Verifies one RS256 access token the way every service does (flask-jwt-extended through
common.auth.tokens, signature verified once per process) inside a request context, three
ways, and prints microseconds per verification:

- `none`: no revocation check (the platform before the check existed).
- `redis`: one Redis EXISTS per verification (no in-process memory).
- `remembered`: the production setting, a "not revoked" answer kept for 1 s.

The difference between `redis` and `none` is the price of the check on a cold family; a
busy session pays `remembered` (one EXISTS per family per second).

    .venv/bin/python -m bench.revocation_check [--redis-url redis://127.0.0.1:6379/0] [-n 5000]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import redis
from flask import Flask
from flask_jwt_extended import verify_jwt_in_request

from common.auth.revocation import RevokedFamilies
from common.auth.tokens import install_jwt
from common.config import ServiceSettings
from common.http.metrics import HttpMetrics
from devstack.devkeys import new_key_pair


def _token(private: str) -> str:
    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid4()),
        "type": "access",
        "fresh": False,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "iss": "ticketing",
        "fam": str(uuid.uuid4()),
    }
    return jwt.encode(claims, private, algorithm="RS256")


def _app(redis_url: str, public: str, check: str) -> Flask:
    settings = ServiceSettings.from_env(
        "bench",
        {"APP_ENV": "test", "REDIS_URL": redis_url, "JWT_PUBLIC_KEY": public},
    )
    app = Flask(__name__)
    app.extensions["settings"] = settings
    app.extensions["metrics"] = HttpMetrics("bench")  # a registry of this app's own
    manager = install_jwt(app, settings.jwt)
    if check == "none":
        manager.token_in_blocklist_loader(lambda header, payload: False)
    elif check == "redis":
        revocations = RevokedFamilies(
            redis.Redis.from_url(redis_url),
            ttl_seconds=960,
            local_seconds=0,
            registry=HttpMetrics("bench").registry,
        )

        def revoked(header: dict[str, Any], payload: dict[str, Any]) -> bool:
            return revocations.is_revoked(payload.get("fam"))

        manager.token_in_blocklist_loader(revoked)
    return app


def _per_verification_us(app: Flask, token: str, count: int) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    verify: Callable[..., Any] = verify_jwt_in_request
    with app.test_request_context("/", headers=headers):
        for _ in range(200):  # warm: signature cached, connection open
            verify()
        started = time.perf_counter()
        for _ in range(count):
            verify()
        return (time.perf_counter() - started) / count * 1e6


CHECKS = ("none", "redis", "remembered")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("-n", "--count", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    private, public = new_key_pair()
    token = _token(private)
    apps = {check: _app(args.redis_url, public, check) for check in CHECKS}
    # Rounds alternate the variants, so a noisy neighbour on the CPUs hits them alike.
    samples: dict[str, list[float]] = {check: [] for check in CHECKS}
    for _ in range(args.rounds):
        for check, app in apps.items():
            samples[check].append(_per_verification_us(app, token, args.count))
    results = {check: statistics.median(values) for check, values in samples.items()}
    print(
        f"{args.rounds} rounds of {args.count} verifications of one RS256 access token, "
        "median µs each:"
    )
    for check, micros in results.items():
        extra = "" if check == "none" else f"  (+{micros - results['none']:.1f})"
        print(f"  {check:<11}{micros:8.1f}{extra}")


if __name__ == "__main__":
    main()
