"""Request and response bodies of the auth API."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from common.http.requests import STORABLE_TEXT_PATTERN

# Every JSON body is refused with 422 when a string holds NUL or an unpaired surrogate
# (common.http.requests); the document says so for the one free-text field here.
PASSWORD_TEXT = {"pattern": STORABLE_TEXT_PATTERN, "description": "Any text without NUL."}


class CredentialsSchema(ma.Schema):
    """Email and password, as typed by the user."""

    @ma.pre_load
    def strip_email(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("email"), str):
            return {**data, "email": data["email"].strip()}
        return data

    email = ma.fields.Email(required=True, validate=validate.Length(max=254))
    password = ma.fields.String(
        required=True, validate=validate.Length(min=1, max=1024), metadata=PASSWORD_TEXT
    )


class SignupSchema(CredentialsSchema):
    """A new account: a valid email and a password of 8 to 128 characters."""

    password = ma.fields.String(
        required=True, validate=validate.Length(min=8, max=128), metadata=PASSWORD_TEXT
    )


class UserSchema(ma.Schema):
    """A user as the API shows it."""

    id = ma.fields.UUID(required=True)
    email = ma.fields.String(required=True)
    createdAt = ma.fields.String(required=True)


class UserSummarySchema(ma.Schema):
    """The signed-in user, as the token describes them."""

    id = ma.fields.UUID(required=True)
    email = ma.fields.String(required=True)


class CurrentUserSchema(ma.Schema):
    """`currentUser` is null for anonymous callers."""

    currentUser = ma.fields.Nested(UserSummarySchema, allow_none=True, required=True)


class TokenPairSchema(ma.Schema):
    """Bearer tokens for API integrators."""

    accessToken = ma.fields.String(required=True)
    refreshToken = ma.fields.String(required=True)
    tokenType = ma.fields.String(required=True, metadata={"example": "Bearer"})
    expiresIn = ma.fields.Integer(required=True, metadata={"description": "Seconds"})


class RefreshResultSchema(ma.Schema):
    """New tokens: in cookies for browsers; in the body (too) for bearer callers."""

    user = ma.fields.Nested(UserSummarySchema, required=True)
    expiresIn = ma.fields.Integer(required=True, metadata={"description": "Seconds"})
    accessToken = ma.fields.String(metadata={"description": "Only for bearer refreshes"})
    refreshToken = ma.fields.String(metadata={"description": "Only for bearer refreshes"})
    tokenType = ma.fields.String(metadata={"description": "Only for bearer refreshes"})
