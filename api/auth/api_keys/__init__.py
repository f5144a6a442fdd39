"""Personal API keys: created and revoked by their user, exchanged for scoped tokens."""

from __future__ import annotations

import redis
from flask import Flask

from api.auth.api_keys.services import ApiKeyService
from api.auth.api_keys.views import blp
from common.clock import Clock
from common.config import JwtSettings
from common.db import Database
from common.http.problems import ProblemApi


def install_api_keys(
    app: Flask,
    api: ProblemApi,
    db: Database,
    redis_client: redis.Redis,
    clock: Clock,
    jwt: JwtSettings,
) -> None:
    """Add the API keys routes to the auth service."""
    app.extensions["api_key_service"] = ApiKeyService(
        db, redis_client, clock, jwt.access_expires_seconds
    )
    api.register_blueprint(blp)
