"""A virtual waiting room: when buyers arrive faster than the admission rate, they queue FIFO.

State in Redis (one Lua script per step, atomic, Redis 6.2 and 7):
  <prefix>line         sorted set: account -> ticket number (its place, first come first served)
  <prefix>seq          the last ticket number handed out
  <prefix>bucket       token bucket {tokens, ms}: `admission_rate` buyers a second, `burst` at once
  <prefix>pass:<id>    an admitted account may reserve until this key expires
  <prefix>seen:<id>    an account in line keeps its place while this key lives (each visit renews)

Every call first lets the head of the line in, as many as the bucket allows, skipping those
who left (their `seen` key expired). A newcomer goes straight through only when nobody waits
and a token is free; otherwise they join the end of the line. An account holds one place.
The keys name other accounts inside the script, so this needs one Redis, not a cluster.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass

import redis
from prometheus_client import CollectorRegistry, Counter, Gauge

from api.orders.config import WaitingRoomSettings

log = logging.getLogger(__name__)

# Returns {state, position, line length, pass ms left}: state 1 admitted, 0 in line, 2 outside.
_ENTER = """
local line, seq, bucket = KEYS[1], KEYS[2], KEYS[3]
local prefix, me = ARGV[1], ARGV[2]
local rate, burst = tonumber(ARGV[3]), tonumber(ARGV[4])
local pass_ms, keep_ms, join = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7] == '1'
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local saved = redis.call('HMGET', bucket, 'tokens', 'ms')
local tokens, since = tonumber(saved[1]), tonumber(saved[2])
if tokens == nil or since == nil then tokens, since = burst, now end
-- While buyers wait, the line moves at `rate` however rarely anyone looks: the time since
-- the last look counts in full (up to keep_ms: longer, and everyone in line has left).
local cap = burst
if redis.call('EXISTS', line) == 1 then cap = burst + rate * keep_ms / 1000 end
tokens = math.min(cap, tokens + math.max(0, now - since) * rate / 1000)
local skipped = 0
while tokens >= 1 and skipped < 1000 do
  local head = redis.call('ZRANGE', line, 0, 0)[1]
  if not head then break end
  redis.call('ZREM', line, head)
  if redis.call('DEL', prefix .. 'seen:' .. head) == 1 then
    redis.call('SET', prefix .. 'pass:' .. head, '1', 'PX', pass_ms)
    tokens = tokens - 1
  else
    skipped = skipped + 1
  end
end
local state, position = 2, 0
local pass_left = redis.call('PTTL', prefix .. 'pass:' .. me)
if pass_left > 0 then
  state = 1
else
  local rank = redis.call('ZRANK', line, me)
  if rank then
    state, position = 0, rank + 1
    redis.call('SET', prefix .. 'seen:' .. me, '1', 'PX', keep_ms)
  elseif redis.call('ZCARD', line) == 0 and tokens >= 1 then
    tokens = tokens - 1
    redis.call('SET', prefix .. 'pass:' .. me, '1', 'PX', pass_ms)
    state, pass_left = 1, pass_ms
  elseif join then
    redis.call('ZADD', line, redis.call('INCR', seq), me)
    redis.call('SET', prefix .. 'seen:' .. me, '1', 'PX', keep_ms)
    state, position = 0, redis.call('ZCARD', line)
  end
end
redis.call('HSET', bucket, 'tokens', tostring(tokens), 'ms', tostring(now))
redis.call('PEXPIRE', bucket, 3600000)
return {state, position, redis.call('ZCARD', line), math.max(pass_left, 0)}
"""


@dataclass(frozen=True)
class Place:
    """Where an account stands: admitted, in line at `position`, or outside the line."""

    admitted: bool
    position: int
    line_length: int
    wait_seconds: int
    retry_after: int

    @property
    def in_line(self) -> bool:
        return not self.admitted and self.position > 0


@dataclass(frozen=True)
class LineFigures:
    """What operators see: the line's length, the admission rate and the wait at its end.

    `error` says why the line could not be read (Redis unreachable); the length is then 0.
    """

    length: int
    admission_rate: float
    wait_seconds: int
    error: str | None = None


class WaitingRoom:
    """Admits buyers at a steady rate and lines up the rest, first come, first served."""

    # Clients come back at most this long after being told to, well inside keep_seconds.
    MAX_RETRY_AFTER = 10

    def __init__(
        self,
        client: redis.Redis,
        settings: WaitingRoomSettings,
        registry: CollectorRegistry,
        prefix: str = "waitingroom:",
    ) -> None:
        self.settings, self.prefix = settings, prefix
        self._redis = client
        self._enter = client.register_script(_ENTER)
        self._length = Gauge(
            "waiting_room_length", "Buyers in the waiting room's line", registry=registry
        )
        self._rate = Gauge(
            "waiting_room_admission_rate", "Buyers admitted per second", registry=registry
        )
        self._wait = Gauge(
            "waiting_room_wait_seconds",
            "Estimated wait of a buyer joining the line now",
            registry=registry,
        )
        self._outcomes = Counter(
            "waiting_room_requests_total",
            "Waiting-room checks by outcome (admitted, queued, unavailable)",
            ["outcome"],
            registry=registry,
        )
        self._rate.set(settings.admission_rate)

    def enter(self, account: uuid.UUID) -> Place:
        """Let the account through, or give (or keep) its place in line."""
        return self._step(account, join=True)

    def where(self, account: uuid.UUID) -> Place:
        """Where the account stands now (a visit: keeps its place; never joins the line)."""
        return self._step(account, join=False)

    def figures(self) -> LineFigures:
        """The line as operators see it."""
        try:
            length = int(self._redis.zcard(self.prefix + "line"))
        except redis.RedisError as exc:
            log.error("waiting room: Redis unreachable", exc_info=True)
            return LineFigures(0, self.settings.admission_rate, 0, f"Redis unreachable: {exc}")
        return LineFigures(length, self.settings.admission_rate, self._wait_for(length))

    def _step(self, account: uuid.UUID, *, join: bool) -> Place:
        settings = self.settings
        if not settings.enabled:
            return Place(True, 0, 0, 0, 0)
        try:
            state, position, length, _ = self._enter(
                keys=[self.prefix + "line", self.prefix + "seq", self.prefix + "bucket"],
                args=[
                    self.prefix,
                    str(account),
                    settings.admission_rate,
                    settings.burst,
                    settings.pass_seconds * 1000,
                    settings.keep_seconds * 1000,
                    "1" if join else "0",
                ],
            )
        except redis.RedisError:
            # Without Redis there is no line to keep: let buyers through; the bounded
            # admission gate, the per-buyer cap (in the database) and the rate limits'
            # in-process fallback still hold.
            log.error("waiting room: Redis unreachable, admitting", exc_info=True)
            self._outcomes.labels("unavailable").inc()
            return Place(True, 0, 0, 0, 0)
        length = int(length)
        self._length.set(length)
        self._wait.set(self._wait_for(length))
        if int(state) == 1:
            self._outcomes.labels("admitted").inc()
            return Place(True, 0, length, 0, 0)
        position = int(position)
        if position:
            self._outcomes.labels("queued").inc()
        wait = self._wait_for(position)
        return Place(False, position, length, wait, self._retry_after(wait))

    def _wait_for(self, position: int) -> int:
        return math.ceil(position / self.settings.admission_rate)

    def _retry_after(self, wait: int) -> int:
        return min(max(1, wait), self.MAX_RETRY_AFTER)
