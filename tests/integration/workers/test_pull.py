"""Pulling from a durable consumer: a lone message at once, waiting ones in one batch."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import nats
import pytest

from common.events.streams import ensure_consumer, ensure_stream
from tests.conftest import NATS_URL
from tests.integration.workers.support import Backbone
from workers.pull import PullError, PullSubscription

EVENT = "tickets.created"
T = TypeVar("T")


def _with_puller(
    backbone: Backbone,
    body: Callable[[PullSubscription, Callable[[int], Awaitable[None]]], Awaitable[T]],
) -> T:
    """Run `body(puller, publish)` against a durable of the test stream."""

    async def main() -> T:
        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        try:
            await ensure_stream(js, backbone.events)
            durable = await ensure_consumer(js, backbone.events, "pull", EVENT)
            puller = await PullSubscription(nc, backbone.events.stream, durable).start()

            async def publish(count: int) -> None:
                for n in range(count):
                    await js.publish(backbone.events.subject(EVENT), f"m{n}".encode())

            try:
                return await body(puller, publish)
            finally:
                await puller.unsubscribe()
        finally:
            await nc.close()

    return asyncio.run(main())


def test_a_lone_message_is_returned_once_stored_even_after_fetches_expired(
    backbone: Backbone,
) -> None:
    async def body(
        puller: PullSubscription, publish: Callable[[int], Awaitable[None]]
    ) -> list[float]:
        waits = []
        for _ in range(10):
            assert await puller.fetch(64, timeout=0.2) == []  # expired, nothing stored
            fetching = asyncio.create_task(puller.fetch(64, timeout=5))
            await asyncio.sleep(0.05)
            published = time.monotonic()
            await publish(1)
            messages = await fetching
            waits.append(time.monotonic() - published)
            assert [message.data for message in messages] == [b"m0"]
            await messages[0].ack()
        return waits

    waits = _with_puller(backbone, body)
    # Not held back waiting for the other 63 of the batch (that would be the whole 5 s).
    assert max(waits) < 1.0, waits


def test_waiting_messages_come_in_batches_of_at_most_the_size_asked(backbone: Backbone) -> None:
    async def body(
        puller: PullSubscription, publish: Callable[[int], Awaitable[None]]
    ) -> list[list[bytes]]:
        await publish(10)
        batches = []
        for size in (4, 64, 64):
            messages = await puller.fetch(size, timeout=0.5)
            for message in messages:
                await message.ack()
            batches.append([message.data for message in messages])
        return batches

    first, rest, none = _with_puller(backbone, body)
    assert first == [f"m{n}".encode() for n in range(4)]
    assert rest == [f"m{n}".encode() for n in range(4, 10)]
    assert none == []


def test_a_pull_request_the_server_ends_with_an_error_raises_at_once(backbone: Backbone) -> None:
    async def body(puller: PullSubscription, publish: Callable[[int], Awaitable[None]]) -> float:
        fetching = asyncio.create_task(puller.fetch(64, timeout=5))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        durable = puller.next_subject.rsplit(".", 1)[1]
        await puller.nc.jetstream().delete_consumer(backbone.events.stream, durable)
        with pytest.raises(PullError, match="409"):
            await fetching
        return time.monotonic() - started

    # The consumer's deletion ends the waiting request (409) long before its 5 s expiry.
    assert _with_puller(backbone, body) < 2.0
