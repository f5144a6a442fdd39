"""Use cases of API keys: create (shown once), list, revoke, and exchange for a token."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
import sqlalchemy as sa
from flask_jwt_extended import create_access_token

from api.auth.api_keys.models import ApiKey
from api.auth.models import User
from common.auth.api_keys import KEY_ID_CLAIM, SCOPES_CLAIM, live_key, used_key
from common.clock import Clock
from common.db import Database
from common.errors import NotFound, ServiceUnavailable, Unauthenticated, ValidationFailed

KEY_PREFIX = "tkt_"
MAX_KEYS_PER_USER = 20


@dataclass(frozen=True)
class NewKey:
    """A key just created: the record and the only copy of the key itself."""

    record: ApiKey
    key: str


@dataclass(frozen=True)
class KeyToken:
    """An access token minted from a key."""

    access_token: str
    expires_in: int
    scopes: list[str]


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyService:
    """Keys live in the auth database; the live marks their tokens need live in Redis."""

    def __init__(
        self, db: Database, redis_client: redis.Redis, clock: Clock, access_expires_in: int
    ) -> None:
        self.db = db
        self.redis = redis_client
        self.clock = clock
        self.access_expires_in = access_expires_in

    def create(self, user_id: uuid.UUID, name: str, scopes: list[str]) -> NewKey:
        """A new key with these scopes; the key is returned now and never again."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self.db.transaction() as session:
            count = session.scalar(
                sa.select(sa.func.count())
                .select_from(ApiKey)
                .where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
            )
            if (count or 0) >= MAX_KEYS_PER_USER:
                raise ValidationFailed(f"At most {MAX_KEYS_PER_USER} active keys per account.")
            record = ApiKey(
                id=uuid.uuid4(),
                user_id=user_id,
                name=name,
                prefix=key[:12],
                key_hash=key_hash(key),
                scopes=sorted(set(scopes)),
                created_at=self.clock.now(),
                last_used_at=None,
                revoked_at=None,
            )
            session.add(record)
        return NewKey(record, key)

    def list_mine(self, user_id: uuid.UUID) -> list[ApiKey]:
        """My keys, newest first, with their last use (from Redis when more recent)."""
        with self.db.transaction() as session:
            keys = list(
                session.scalars(
                    sa.select(ApiKey)
                    .where(ApiKey.user_id == user_id)
                    .order_by(ApiKey.created_at.desc(), ApiKey.id)
                )
            )
        try:
            used = self.redis.mget([used_key(str(k.id)) for k in keys]) if keys else []
        except redis.RedisError:
            used = [None] * len(keys)
        for record, stamp in zip(keys, used, strict=True):
            if stamp is not None:
                seen = datetime.fromtimestamp(int(stamp), UTC)
                if record.last_used_at is None or seen > record.last_used_at:
                    record.last_used_at = seen
        return keys

    def revoke(self, user_id: uuid.UUID, key_id: uuid.UUID) -> None:
        """Revoke a key: no new tokens, and its live tokens refused by every service now."""
        with self.db.transaction() as session:
            record = session.get(ApiKey, key_id, with_for_update=True)
            if record is None or record.user_id != user_id:
                raise NotFound("No such API key.")
            if record.revoked_at is None:
                record.revoked_at = self.clock.now()
            try:
                self.redis.delete(live_key(str(key_id)))
            except redis.RedisError as exc:
                # Rolled back: the key stays usable until its revocation reaches Redis too.
                raise ServiceUnavailable("Could not revoke the key right now; try again.") from exc

    def exchange(self, key: str) -> KeyToken:
        """A 15-minute access token carrying the key's scopes; 401 for unknown or revoked."""
        now = self.clock.now()
        with self.db.transaction() as session:
            record = session.scalar(
                sa.select(ApiKey).where(ApiKey.key_hash == key_hash(key)).with_for_update()
            )
            if record is None or record.revoked_at is not None:
                raise Unauthenticated("Unknown or revoked API key.")
            user = session.get(User, record.user_id)
            if user is None:
                raise Unauthenticated("Unknown or revoked API key.")
            record.last_used_at = now
            claims = {
                "email": user.email,
                KEY_ID_CLAIM: str(record.id),
                SCOPES_CLAIM: record.scopes,
            }
            token = create_access_token(str(user.id), additional_claims=claims)
            try:
                # Marked live inside the transaction: a revoke (row lock) waits for it.
                self.redis.set(live_key(str(record.id)), 1, ex=self.access_expires_in)
            except redis.RedisError as exc:
                raise ServiceUnavailable("API keys are unavailable right now; try again.") from exc
            scopes = list(record.scopes)
        return KeyToken(token, self.access_expires_in, scopes)
