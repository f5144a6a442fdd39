"""App factory of the auth service."""

from __future__ import annotations

from typing import Any

import redis
from flask import Flask

from api.auth.api_keys import install_api_keys
from api.auth.config import AuthSettings
from api.auth.passwords import Passwords
from api.auth.ratelimit import SigninLimiter, SignupLimiter
from api.auth.services import AuthService
from api.auth.views import blp
from common.auth.tokens import install_jwt
from common.clock import Clock, SystemClock
from common.db import Database
from common.http.app import create_service_app
from common.http.health import database_check, redis_check
from common.ratelimit import RateLimiter


def create_app(settings: AuthSettings | None = None, clock: Clock | None = None) -> Flask:
    """Build the auth service from the environment (or the given settings)."""
    settings = settings or AuthSettings.from_env()
    base = settings.service
    db = Database.from_url(base.database_url)
    redis_client = redis.Redis.from_url(base.redis_url, socket_timeout=2, socket_connect_timeout=2)
    app, api = create_service_app(
        base,
        title="Ticketing auth API",
        prefix="/api/users",
        description="Sign up, sign in, sessions and bearer tokens.",
        checks={"database": database_check(db.engine), "redis": redis_check(base.redis_url)},
    )
    jwt = install_jwt(app, base.jwt)
    registry = app.extensions["metrics"].registry
    revocations = app.extensions["revocations"]
    service = AuthService(
        db=db,
        passwords=Passwords(
            settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
        ),
        limiter=SigninLimiter(
            RateLimiter(redis_client, name="signin", registry=registry), settings.signin
        ),
        signup_limiter=SignupLimiter(
            RateLimiter(redis_client, name="signup", registry=registry), settings.signup
        ),
        revocations=revocations,
        clock=clock or SystemClock(),
        access_expires_in=base.jwt.access_expires_seconds,
        refresh_expires_in=base.jwt.refresh_expires_seconds,
        reuse_grace_seconds=settings.refresh_reuse_grace_seconds,
    )

    @jwt.token_in_blocklist_loader
    def family_revoked(header: dict[str, Any], payload: dict[str, Any]) -> bool:
        return service.family_revoked(payload.get("fam"))

    app.extensions["auth_service"] = service
    app.extensions["db"] = db
    api.register_blueprint(blp)
    install_api_keys(app, api, db, redis_client, clock or SystemClock(), base.jwt)
    return app
