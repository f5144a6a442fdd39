"""Request and response bodies of the API keys routes."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from common.auth.api_keys import SCOPES
from common.http.requests import STORABLE_TEXT_PATTERN

SCOPE_FIELD = {"title": "ApiKeyScope"}


class NewApiKeySchema(ma.Schema):
    """A name to recognise the key by, and what it may do."""

    name = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"example": "Shop sync", "pattern": STORABLE_TEXT_PATTERN},
    )
    scopes = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(SCOPES), metadata=SCOPE_FIELD),
        required=True,
        validate=validate.Length(min=1, max=len(SCOPES)),
        metadata={"example": ["read", "write:orders", "write:payments"]},
    )


class ApiKeySchema(ma.Schema):
    """A key as listed: never the key itself, only its first characters."""

    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True, metadata={"example": "Shop sync"})
    prefix = ma.fields.String(required=True, metadata={"example": "tkt_Xk2mP9aQ"})
    scopes = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(SCOPES), metadata=SCOPE_FIELD), required=True
    )
    createdAt = ma.fields.String(required=True, metadata={"example": "2026-11-24T20:00:00.000Z"})
    lastUsedAt = ma.fields.String(
        required=True, allow_none=True, metadata={"example": "2026-11-24T21:00:00.000Z"}
    )
    revokedAt = ma.fields.String(required=True, allow_none=True, metadata={"example": None})


class CreatedApiKeySchema(ApiKeySchema):
    """A new key, with the key itself: shown only in this answer."""

    key = ma.fields.String(
        required=True,
        metadata={"description": "Store it now: it is never shown again", "example": "tkt_..."},
    )


class ApiKeyListSchema(ma.Schema):
    """My keys, newest first (revoked ones too)."""

    items = ma.fields.List(ma.fields.Nested(ApiKeySchema), required=True)


class KeyExchangeSchema(ma.Schema):
    """The API key to exchange."""

    apiKey = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"example": "tkt_...", "pattern": STORABLE_TEXT_PATTERN},
    )


class KeyTokenSchema(ma.Schema):
    """A bearer access token limited to the key's scopes."""

    accessToken = ma.fields.String(required=True, metadata={"example": "eyJhbGciOi..."})
    tokenType = ma.fields.String(required=True, metadata={"example": "Bearer"})
    expiresIn = ma.fields.Integer(required=True, metadata={"example": 900})
    scopes = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(SCOPES), metadata=SCOPE_FIELD), required=True
    )
