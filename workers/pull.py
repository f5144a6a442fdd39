"""Pulling from a durable JetStream consumer: the first message at once, then what waits.

nats-py's `fetch(n)` (2.16, against NATS 2.9) returns a lone message quickly only by a
quirk (its no-wait probe carries `expires`, so the server keeps it waiting and ends it
with a 408 after one message); a probe ending early leaves the next message with a
request that waits for all n, and that fetch stalls for its whole timeout. This puller
asks in two plain steps of the JetStream API instead:

1. one waiting request for one message: answered the moment a message is there;
2. if that message says more are pending, one no-wait request for up to the rest of the
   batch: answered at once with what is there.

Each request has a reply subject of its own, so a late status from an earlier request
(expired, or cut short by a shutdown) is never taken for the current one's; a message an
earlier request delivers late is simply work, handled with the next fetch.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections import deque

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import Error as NatsError

# The server answers a waiting request by its expiry; this much later the client gives up.
_ANSWER_GRACE_SECONDS = 1.0
# Statuses that end a request normally: no messages (no-wait), expired.
_ENDED = ("404", "408")


class PullError(NatsError):
    """The server refused a pull request (consumer deleted, too many waiting, ...)."""


class PullSubscription:
    """Fetches from durable `durable` of `stream` with batches that never wait to fill."""

    def __init__(self, nc: Client, stream: str, durable: str) -> None:
        self.nc = nc
        self.next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}"
        self.prefix = nc.new_inbox()
        self.requests = itertools.count()
        self.subscription: Subscription | None = None
        # Filled by the subscription's callback: cheaper than a task per message (next_msg).
        self.arrived: deque[Msg] = deque()
        self.arrival = asyncio.Event()

    async def start(self) -> PullSubscription:
        self.subscription = await self.nc.subscribe(f"{self.prefix}.*", cb=self._arrive)
        return self

    async def _arrive(self, message: Msg) -> None:
        self.arrived.append(message)
        self.arrival.set()

    async def _next(self, deadline: float) -> Msg | None:
        """The next message to arrive, or None once the loop's clock passes `deadline`."""
        loop = asyncio.get_running_loop()
        while not self.arrived:
            self.arrival.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self.arrival.wait()
        return self.arrived.popleft()

    async def unsubscribe(self) -> None:
        if self.subscription is not None:
            await self.subscription.unsubscribe()
            self.subscription = None

    async def fetch(self, batch: int, timeout: float) -> list[Msg]:
        """Up to `batch` messages, returned as soon as there is one; [] after `timeout` s."""
        first = await self._ask({"batch": 1, "expires": int(timeout * 1e9)}, 1, timeout)
        if not first:
            return []
        pending = first[0].metadata.num_pending or 0
        wanted = min(batch - 1, pending)
        if wanted <= 0:
            return first
        return first + await self._ask({"batch": wanted, "no_wait": True}, wanted, timeout)

    async def _ask(self, request: dict[str, object], wanted: int, timeout: float) -> list[Msg]:
        """Send one pull request; the messages that answer it, until its status or `wanted`."""
        assert self.subscription is not None, "start() first"
        reply = f"{self.prefix}.{next(self.requests)}"
        messages: list[Msg] = []
        # Messages an earlier request delivered after its fetch gave up come first.
        while self.arrived and len(messages) < wanted:
            message = self.arrived.popleft()
            if not _is_status(message):
                messages.append(message)
        if messages:
            return messages
        await self.nc.publish(self.next_subject, json.dumps(request).encode(), reply=reply)
        deadline = asyncio.get_running_loop().time() + timeout + _ANSWER_GRACE_SECONDS
        while len(messages) < wanted:
            answer = await self._next(deadline)
            if answer is None:
                break
            if not _is_status(answer):
                messages.append(answer)
            elif answer.subject == reply:
                status = (answer.headers or {}).get("Status", "")
                if status not in _ENDED:
                    raise PullError(f"pull request refused: {status} {answer.headers}")
                break
        return messages


def _is_status(message: Msg) -> bool:
    """A status message (no payload, a Status header) rather than a stored message."""
    return not message.data and bool(message.headers) and "Status" in (message.headers or {})
