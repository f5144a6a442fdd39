"""HTTP routes of API keys under /api/users/api-keys."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app
from flask.views import MethodView
from flask_jwt_extended import get_jwt
from flask_smorest import Blueprint

from api.auth.api_keys.models import ApiKey
from api.auth.api_keys.schemas import (
    ApiKeyListSchema,
    CreatedApiKeySchema,
    KeyExchangeSchema,
    KeyTokenSchema,
    NewApiKeySchema,
)
from api.auth.api_keys.services import ApiKeyService
from common.auth.api_keys import KEY_ID_CLAIM
from common.auth.current_user import CurrentUser, require_user
from common.clock import isoformat_z
from common.errors import Forbidden
from common.http.docs import SECURITY
from common.http.problems import documents_problem

F = TypeVar("F", bound=Callable[..., Any])

blp = Blueprint(
    "api-keys",
    __name__,
    url_prefix="/api/users/api-keys",
    description="Personal API keys for programs: scoped, revocable, exchanged for tokens.",
)


def problem(status: int, description: str) -> Callable[[F], F]:
    return documents_problem(blp, status, description)


def service() -> ApiKeyService:
    return current_app.extensions["api_key_service"]  # type: ignore[no-any-return]


def session_user() -> CurrentUser:
    """The signed-in user; keys are managed with a session, never with another key."""
    user = require_user()
    if get_jwt().get(KEY_ID_CLAIM) is not None:
        raise Forbidden("API keys are managed when signed in, not with an API key.")
    return user


def key_body(record: ApiKey) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "prefix": record.prefix,
        "scopes": list(record.scopes),
        "createdAt": isoformat_z(record.created_at),
        "lastUsedAt": isoformat_z(record.last_used_at) if record.last_used_at else None,
        "revokedAt": isoformat_z(record.revoked_at) if record.revoked_at else None,
    }


@blp.route("")
class ApiKeys(MethodView):
    @blp.doc(operationId="listApiKeys")
    @blp.doc(security=SECURITY)
    @blp.response(200, ApiKeyListSchema)
    @problem(401, "Not signed in")
    @problem(403, "Called with an API key's token")
    def get(self) -> dict[str, Any]:
        """My API keys, newest first, with when each was last used."""
        return {"items": [key_body(k) for k in service().list_mine(session_user().id)]}

    @blp.doc(operationId="createApiKey")
    @blp.doc(security=SECURITY)
    @blp.arguments(NewApiKeySchema)
    @blp.response(201, CreatedApiKeySchema)
    @problem(401, "Not signed in (or cookie without X-CSRF-Token)")
    @problem(403, "Called with an API key's token")
    @problem(422, "Missing name or unknown scopes")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a key; the answer holds the key itself, shown this once (stored hashed)."""
        created = service().create(session_user().id, body["name"], body["scopes"])
        return {**key_body(created.record), "key": created.key}


@blp.route("/<uuid:key_id>")
class ApiKeyById(MethodView):
    @blp.doc(operationId="revokeApiKey")
    @blp.doc(security=SECURITY)
    @blp.response(204)
    @problem(401, "Not signed in (or cookie without X-CSRF-Token)")
    @problem(403, "Called with an API key's token")
    @problem(404, "No such key of mine")
    def delete(self, key_id: uuid.UUID) -> Response:
        """Revoke a key: its tokens stop working in every service at once."""
        service().revoke(session_user().id, key_id)
        return Response(status=204)


@blp.route("/token")
class KeyToken(MethodView):
    @blp.doc(operationId="exchangeApiKey", security=[])
    @blp.arguments(KeyExchangeSchema)
    @blp.response(200, KeyTokenSchema)
    @problem(401, "Unknown or revoked API key")
    @problem(422, "apiKey missing")
    def post(self, body: dict[str, str]) -> dict[str, Any]:
        """Exchange an API key for a 15-minute bearer token limited to the key's scopes."""
        minted = service().exchange(body["apiKey"])
        return {
            "accessToken": minted.access_token,
            "tokenType": "Bearer",
            "expiresIn": minted.expires_in,
            "scopes": minted.scopes,
        }
