"""How far each durable JetStream consumer of the events stream is behind."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import nats
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError


@dataclass(frozen=True)
class ConsumerLag:
    """A durable consumer: messages not yet delivered, and delivered but not acknowledged."""

    durable: str
    pending: int
    ack_pending: int
    redelivered: int


async def consumer_lags(js: JetStreamContext, stream: str) -> list[ConsumerLag]:
    """Every durable consumer of `stream`, by name; none before the stream exists.

    The stream is made by the first relay or consumer to start, so a fresh deployment has none.
    """
    try:
        infos = await js.consumers_info(stream)
    except NotFoundError:
        return []
    lags = [
        ConsumerLag(
            durable=info.name,
            pending=int(info.num_pending or 0),
            ack_pending=int(info.num_ack_pending or 0),
            redelivered=int(info.num_redelivered or 0),
        )
        for info in infos
    ]
    return sorted(lags, key=lambda lag: lag.durable)


def read_consumer_lags(nats_url: str, stream: str, timeout: float = 3.0) -> list[ConsumerLag]:
    """consumer_lags over a short-lived connection, from synchronous code with no event loop."""

    async def read() -> list[ConsumerLag]:
        nc = await nats.connect(
            servers=nats_url.split(","), connect_timeout=timeout, allow_reconnect=False
        )
        try:
            return await asyncio.wait_for(consumer_lags(nc.jetstream(), stream), timeout)
        finally:
            await nc.close()

    return asyncio.run(read())
