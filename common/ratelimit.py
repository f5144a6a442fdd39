"""Fixed-window rate limits in Redis, atomic on Redis 6.2 and 7, that never fail open.

One Lua script counts a hit and starts the window in the same step, so concurrent callers
cannot both see the last free slot. When Redis cannot be reached the limiter keeps limiting
with an in-process window of the same size (per process, so looser across replicas), logs the
error and counts it in `ratelimit_backend_errors_total`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, ClassVar

import redis
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge

log = logging.getLogger(__name__)

# PEXPIRE only when the key has no expiry yet: `EXPIRE ... NX` does the same on Redis 7 only.
_HIT = """
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {count, ttl}
"""

_PEEK = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
return {count, ttl}
"""


@dataclass(frozen=True)
class Decision:
    """The outcome of one hit (or peek) on a key."""

    allowed: bool
    count: int
    retry_after: int


class _Metrics:
    """The limiter's metrics in one registry, shared by every limiter registered there."""

    _by_registry: ClassVar[weakref.WeakKeyDictionary[CollectorRegistry, _Metrics]] = (
        weakref.WeakKeyDictionary()
    )
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, registry: CollectorRegistry) -> None:
        self.errors = Counter(
            "ratelimit_backend_errors_total",
            "Rate-limit checks that could not reach Redis and used the in-process fallback",
            ["limiter"],
            registry=registry,
        )
        self.fallback = Gauge(
            "ratelimit_fallback_active",
            "1 while the limiter's last Redis call failed and the fallback limits",
            ["limiter"],
            registry=registry,
        )

    @classmethod
    def of(cls, registry: CollectorRegistry) -> _Metrics:
        with cls._lock:
            metrics = cls._by_registry.get(registry)
            if metrics is None:
                metrics = cls._by_registry[registry] = cls(registry)
            return metrics


class LocalWindows:
    """In-process fixed windows: the fallback when Redis is unreachable."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, cost: int, window: float) -> tuple[int, float]:
        """Count `cost` on `key`; returns (count, seconds left in the window)."""
        now = self._clock()
        with self._lock:
            if len(self._windows) > 10_000:
                self._windows = {k: v for k, v in self._windows.items() if v[1] > now}
            count, resets_at = self._windows.get(key, (0, now + window))
            if resets_at <= now:
                count, resets_at = 0, now + window
            count += cost
            self._windows[key] = (count, resets_at)
            return count, resets_at - now

    def reset(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)


class RateLimiter:
    """Counts hits per key in fixed windows; `name` prefixes the keys and labels the metrics."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        name: str,
        registry: CollectorRegistry | None = None,
        local: LocalWindows | None = None,
    ) -> None:
        self.name = name
        self._redis = client
        self._hit = client.register_script(_HIT)
        self._peek = client.register_script(_PEEK)
        self._local = local or LocalWindows()
        self._metrics = _Metrics.of(registry or REGISTRY)

    def _key(self, key: str) -> str:
        return f"ratelimit:{self.name}:{key}"

    def hit(self, key: str, *, limit: int, window: int, cost: int = 1) -> Decision:
        """Count one attempt (or `cost`) on `key`; allowed while the window's count ≤ limit."""
        try:
            count, ttl_ms = self._hit(keys=[self._key(key)], args=[cost, window * 1000])
        except redis.RedisError:
            count, left = self._fallback(key, cost, window)
            return _decide(count, limit, left)
        self._metrics.fallback.labels(self.name).set(0)
        return _decide(int(count), limit, int(ttl_ms) / 1000)

    def peek(self, key: str, *, limit: int, window: int) -> Decision:
        """The decision a hit would get if it cost nothing; counts nothing."""
        try:
            count, ttl_ms = self._peek(keys=[self._key(key)])
        except redis.RedisError:
            count, left = self._fallback(key, 0, window)
            return _decide(count, limit, left, inclusive=False)
        left = int(ttl_ms) / 1000 if int(ttl_ms) > 0 else window
        return _decide(int(count), limit, left, inclusive=False)

    def reset(self, key: str) -> None:
        """Forget the key's count, in Redis and in the fallback."""
        self._local.reset(key)
        try:
            self._redis.delete(self._key(key))
        except redis.RedisError:
            self._metrics.errors.labels(self.name).inc()
            log.error("rate limiter %s: Redis unreachable, reset only locally", self.name)

    def _fallback(self, key: str, cost: int, window: int) -> tuple[int, float]:
        self._metrics.errors.labels(self.name).inc()
        self._metrics.fallback.labels(self.name).set(1)
        log.error(
            "rate limiter %s: Redis unreachable, limiting with the in-process fallback",
            self.name,
            exc_info=True,
        )
        return self._local.hit(key, cost, window)


def _decide(count: int, limit: int, seconds_left: float, *, inclusive: bool = True) -> Decision:
    allowed = count <= limit if inclusive else count < limit
    return Decision(allowed=allowed, count=count, retry_after=max(1, math.ceil(seconds_left)))
