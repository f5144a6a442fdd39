"""Revoked token families in Redis: auth writes them, every service refuses their tokens.

Auth revokes a family on sign-out and on refresh-token reuse and sets `revoked:fam:<id>`
for as long as an access token of that family can still be valid. Every service checks
the key on each authenticated request (one EXISTS), remembering a "not revoked" answer for
at most `local_seconds`, so a revocation reaches every service within that time.

When Redis cannot be reached the check lets tokens through (they expire on their own within
the access lifetime; auth itself still refuses a revoked family's refresh from its database),
logs the error and counts it in `token_revocation_errors_total`; for `pause_seconds` after a
failure it does not try again, so an outage does not add a timeout to every request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis
from prometheus_client import REGISTRY, CollectorRegistry, Counter

log = logging.getLogger(__name__)

KEY_PREFIX = "revoked:fam:"
LOCAL_SECONDS = 1.0
PAUSE_SECONDS = 1.0
REMEMBERED = 10_000


def revocation_key(family_id: str) -> str:
    """The Redis key that marks a family revoked."""
    return KEY_PREFIX + family_id


class RevokedFamilies:
    """Write and check revoked token families, with a short in-process memory."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        ttl_seconds: int,
        registry: CollectorRegistry | None = None,
        local_seconds: float = LOCAL_SECONDS,
        pause_seconds: float = PAUSE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = client
        self.ttl_seconds = ttl_seconds
        self.local_seconds, self.pause_seconds = local_seconds, pause_seconds
        self._clock = clock
        self._not_revoked: dict[str, float] = {}
        self._revoked: dict[str, float] = {}
        self._unreachable_until = 0.0
        self._lock = threading.Lock()
        self.errors = Counter(
            "token_revocation_errors_total",
            "Revocation reads or writes that could not reach Redis",
            ["operation"],
            registry=registry or REGISTRY,
        )

    def revoke(self, family_id: str) -> bool:
        """Mark the family revoked everywhere; False (logged, counted) when Redis is away."""
        self._remember(self._revoked, family_id, self._clock() + self.ttl_seconds)
        try:
            self._redis.set(revocation_key(family_id), "1", ex=self.ttl_seconds)
        except redis.RedisError:
            self.errors.labels("write").inc()
            log.error("could not publish the revocation of family %s", family_id, exc_info=True)
            return False
        return True

    def is_revoked(self, family_id: str | None) -> bool:
        """Whether tokens of this family must be refused (False for tokens without one)."""
        if not family_id:
            return False
        now = self._clock()
        if self._revoked.get(family_id, 0.0) > now:
            return True
        checked_at = self._not_revoked.get(family_id)
        if checked_at is not None and now - checked_at < self.local_seconds:
            return False
        if now < self._unreachable_until:
            return False
        try:
            revoked = bool(self._redis.exists(revocation_key(family_id)))
        except redis.RedisError:
            self._unreachable_until = now + self.pause_seconds
            self.errors.labels("read").inc()
            log.error("revocation check unavailable; accepting the token", exc_info=True)
            return False
        if revoked:
            self._remember(self._revoked, family_id, now + self.ttl_seconds)
        elif self.local_seconds > 0:
            self._remember(self._not_revoked, family_id, now)
        return revoked

    def _remember(self, memory: dict[str, float], family_id: str, value: float) -> None:
        with self._lock:
            if len(memory) >= REMEMBERED:
                memory.clear()
            memory[family_id] = value
