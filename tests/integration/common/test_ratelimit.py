"""The shared rate limiter on the machine's Redis and on the embedded 6.2 one."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis
from prometheus_client import CollectorRegistry
from redis.backoff import NoBackoff
from redis.retry import Retry

from common.ratelimit import LocalWindows, RateLimiter
from devstack.ports import free_port


@pytest.fixture
def client(every_redis_url: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(every_redis_url)
    yield connection
    connection.close()


def test_embedded_redis_is_the_version_make_up_runs(embedded_redis_url: str) -> None:
    version = redis.Redis.from_url(embedded_redis_url).info("server")["redis_version"]
    assert version.startswith("6.2"), version


def test_hits_over_the_limit_are_refused_with_the_time_left(client: redis.Redis) -> None:
    limiter = RateLimiter(client, name="test", registry=CollectorRegistry())
    decisions = [limiter.hit("ip:1", limit=3, window=60) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.count for d in decisions] == [1, 2, 3, 4, 5]
    assert 59 <= decisions[-1].retry_after <= 60
    assert 59_000 <= client.pttl("ratelimit:test:ip:1") <= 60_000


def test_keys_are_counted_apart_and_reset_forgets(client: redis.Redis) -> None:
    limiter = RateLimiter(client, name="test", registry=CollectorRegistry())
    for _ in range(2):
        limiter.hit("a", limit=2, window=60)
    assert limiter.hit("b", limit=2, window=60).allowed
    assert not limiter.peek("a", limit=2, window=60).allowed
    limiter.reset("a")
    assert limiter.peek("a", limit=2, window=60).allowed
    assert limiter.hit("a", limit=2, window=60).count == 1


def test_a_window_ends_and_counting_starts_again(client: redis.Redis) -> None:
    limiter = RateLimiter(client, name="test", registry=CollectorRegistry())
    limiter.hit("k", limit=1, window=1)
    assert not limiter.hit("k", limit=1, window=1).allowed
    client.pexpire("ratelimit:test:k", 1)
    threading.Event().wait(0.05)
    assert limiter.hit("k", limit=1, window=1).allowed


def test_concurrent_hits_never_let_more_than_the_limit_through(client: redis.Redis) -> None:
    limiter = RateLimiter(client, name="test", registry=CollectorRegistry())
    allowed: list[bool] = []
    start = threading.Barrier(20)

    def attempt() -> None:
        start.wait()
        allowed.append(limiter.hit("burst", limit=5, window=60).allowed)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 5


def test_unreachable_redis_still_limits_and_says_so_in_metrics() -> None:
    # No retries: the limiter's callers give it a client that fails fast.
    down = redis.Redis(port=free_port(), socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    registry = CollectorRegistry()
    limiter = RateLimiter(down, name="signin", registry=registry)
    decisions = [limiter.hit("ip:1", limit=2, window=60) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert registry.get_sample_value("ratelimit_backend_errors_total", {"limiter": "signin"}) == 3
    assert registry.get_sample_value("ratelimit_fallback_active", {"limiter": "signin"}) == 1


def test_the_fallback_window_resets_after_its_length() -> None:
    now = [100.0]
    windows = LocalWindows(clock=lambda: now[0])
    assert windows.hit("k", 1, 10) == (1, 10)
    assert windows.hit("k", 1, 10) == (2, 10)
    now[0] += 10
    assert windows.hit("k", 1, 10) == (1, 10)
