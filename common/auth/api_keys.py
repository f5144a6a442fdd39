"""Access tokens minted from personal API keys: scoped, and refused once the key is revoked.

Auth mints a 15-minute access token for a key (`POST /api/users/api-keys/token`) with the
claims `akid` (the key's id) and `scopes`, and marks the key live in Redis for that long;
revoking the key deletes the mark. Every service checks the mark on each request, so a
revoked key's tokens stop working at once everywhere. The check fails closed: with the mark
gone (revoked, expired, or a Redis that lost its data) the token is refused and the
integrator exchanges the key again, which auth refuses for a revoked key.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import redis
from flask import Flask, current_app, request

from common.errors import Forbidden, ServiceUnavailable, Unauthenticated

KEY_ID_CLAIM = "akid"
SCOPES_CLAIM = "scopes"
READ = "read"
WRITE_SCOPES = {
    "tickets": "write:tickets",
    "orders": "write:orders",
    "payments": "write:payments",
    "webhooks": "write:webhooks",
}
SCOPES: tuple[str, ...] = (READ, *WRITE_SCOPES.values())
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def live_key(key_id: str) -> str:
    """The Redis key that exists while tokens of this API key may be used."""
    return f"apikey:live:{key_id}"


def used_key(key_id: str) -> str:
    """The Redis key holding when this API key was last used (unix seconds)."""
    return f"apikey:used:{key_id}"


def redis_of(app: Flask) -> redis.Redis:
    """The app's Redis client for API key checks, connected on first use."""
    client = app.extensions.get("api_key_redis")
    if client is None:
        client = redis.Redis.from_url(app.extensions["settings"].redis_url, socket_timeout=2)
        app.extensions["api_key_redis"] = client
    return client  # type: ignore[no-any-return]


def required_scope(service: str, method: str) -> str | None:
    """The scope a request needs here; None when no API key may do it."""
    if method in SAFE_METHODS:
        return READ
    return WRITE_SCOPES.get(service)


def check_api_key_claims(claims: Mapping[str, Any]) -> None:
    """For a token minted from an API key: 401 once revoked, 403 outside its scopes."""
    key_id = claims.get(KEY_ID_CLAIM)
    if key_id is None:
        return  # a session's token: nothing more to check here
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    client = redis_of(app)
    try:
        pipe = client.pipeline(transaction=False)
        pipe.exists(live_key(str(key_id)))
        pipe.set(used_key(str(key_id)), int(time.time()), ex=90 * 86_400)
        live, _ = pipe.execute()
    except redis.RedisError as exc:
        raise ServiceUnavailable("API keys cannot be checked right now; try again.") from exc
    if not live:
        raise Unauthenticated("The API key was revoked, or its token is no longer valid.")
    needed = required_scope(app.extensions["settings"].service, request.method)
    scopes = claims.get(SCOPES_CLAIM) or []
    if needed is None or needed not in scopes:
        raise Forbidden(f"This API key lacks the scope for this request ({needed or 'none'}).")
