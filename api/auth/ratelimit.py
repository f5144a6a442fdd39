"""Sign-in rate limits in Redis: attempts per client IP and failures per email."""

from __future__ import annotations

import hashlib
import logging

import redis

from common.errors import TooManyRequests

log = logging.getLogger(__name__)


class SigninLimiter:
    """Fixed windows: N attempts per IP per window, M failures per email per window."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        ip_limit: int,
        ip_window: int,
        email_failures: int,
        email_window: int,
    ) -> None:
        self._redis = client
        self._ip_limit, self._ip_window = ip_limit, ip_window
        self._email_failures, self._email_window = email_failures, email_window

    @staticmethod
    def _email_key(email: str) -> str:
        return "auth:signin:email:" + hashlib.sha256(email.encode()).hexdigest()

    def check(self, ip: str, email: str) -> None:
        """Count this attempt; raise TooManyRequests when the IP or the email is over its limit."""
        try:
            pipe = self._redis.pipeline()
            ip_key = f"auth:signin:ip:{ip}"
            pipe.incr(ip_key)
            pipe.expire(ip_key, self._ip_window, nx=True)
            pipe.ttl(ip_key)
            pipe.get(self._email_key(email))
            pipe.ttl(self._email_key(email))
            ip_count, _, ip_ttl, failures, email_ttl = pipe.execute()
        except redis.RedisError:
            log.error("sign-in rate limiter unavailable; allowing the attempt", exc_info=True)
            return
        if int(ip_count) > self._ip_limit:
            raise TooManyRequests(headers={"Retry-After": str(max(int(ip_ttl), 1))})
        if failures is not None and int(failures) >= self._email_failures:
            raise TooManyRequests(headers={"Retry-After": str(max(int(email_ttl), 1))})

    def failed(self, email: str) -> None:
        """Remember a failed attempt for this email."""
        key = self._email_key(email)
        try:
            pipe = self._redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, self._email_window, nx=True)
            pipe.execute()
        except redis.RedisError:
            log.error("sign-in rate limiter unavailable; failure not counted", exc_info=True)

    def succeeded(self, email: str) -> None:
        """A correct password clears the email's failures."""
        try:
            self._redis.delete(self._email_key(email))
        except redis.RedisError:
            log.error("sign-in rate limiter unavailable", exc_info=True)
