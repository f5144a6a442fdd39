"""When a payment names an order the replica has not received yet: answer now, not after a wait.

The replica trails the order's creation by a moment (an event away). A request for an order
it does not hold gets 409 with Retry-After at once while the order may still be on its way,
and 404 once `grace_seconds` have passed since the first request for it: the same outcome as
waiting in the request, with no request thread asleep. The first request's time is kept in
Redis (shared by every replica of the service), in this process when Redis is unreachable.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

import redis

from api.payments.domain import OrderNotReplicatedYet
from common.errors import FieldError

log = logging.getLogger(__name__)

# PX keeps the key well past the grace period; SET NX then GET returns the first request's time.
_FIRST_SEEN = """
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
return redis.call('GET', KEYS[1])
"""
LOCAL_LIMIT = 10_000


class OrderArrival:
    """Tells a request for an unknown order whether to come back (409) or give up (404)."""

    def __init__(
        self, client: redis.Redis, grace_seconds: float, prefix: str = "payments:"
    ) -> None:
        self.grace_seconds, self.prefix = grace_seconds, prefix
        self._first_seen = client.register_script(_FIRST_SEEN)
        self._local: dict[uuid.UUID, float] = {}
        self._lock = threading.Lock()

    def still_expected(self, order_id: uuid.UUID) -> bool:
        """Whether the order may still reach the replica (its first request is recent)."""
        now = time.time()
        return now - self._first(order_id, now) < self.grace_seconds

    def ensure_gone(self, order_id: uuid.UUID) -> None:
        """Raise 409 with Retry-After while the order may still arrive; return once it cannot."""
        if self.still_expected(order_id):
            detail = OrderNotReplicatedYet.default_detail
            raise OrderNotReplicatedYet(detail, [FieldError(detail)], {"Retry-After": "1"})

    def _first(self, order_id: uuid.UUID, now: float) -> float:
        keep_ms = int(max(self.grace_seconds * 10, 60) * 1000)
        try:
            stored = self._first_seen(
                keys=[f"{self.prefix}awaiting-order:{order_id}"], args=[f"{now:.3f}", keep_ms]
            )
            return float(stored)
        except (redis.RedisError, TypeError, ValueError):
            log.error("payments: Redis unreachable, timing unknown orders locally", exc_info=True)
            with self._lock:
                if len(self._local) >= LOCAL_LIMIT:
                    self._local.clear()
                return self._local.setdefault(order_id, now)
