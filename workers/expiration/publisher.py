"""Publishing to JetStream from sync code (Dramatiq actors): one connection and loop per process."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from nats.aio.client import Client
from nats.js import JetStreamContext

from common.events.envelope import Envelope
from common.events.streams import ensure_stream
from workers.expiration.settings import ExpirationSettings
from workers.runtime import connect_nats

log = logging.getLogger(__name__)
T = TypeVar("T")


class LoopThread:
    """An asyncio event loop running in a daemon thread, for sync callers to submit work to."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run the coroutine on the loop and wait for its result (or raise its error)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.thread.is_alive():
            self.loop.close()


class JetStreamPublisher:
    """Publishes events with a chosen Nats-Msg-Id and waits for JetStream's acknowledgement."""

    def __init__(self, settings: ExpirationSettings) -> None:
        self.settings = settings
        self._loop = LoopThread("jetstream-publisher")
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._connecting: asyncio.Lock | None = None

    def publish(self, event: Envelope, msg_id: str) -> None:
        """Publish `event` on its subject; JetStream drops a repeat of `msg_id` (its window)."""
        timeout = self.settings.publish_timeout_seconds
        self._loop.run(self._publish(event, msg_id, timeout), timeout + 1)

    async def _publish(self, event: Envelope, msg_id: str, timeout: float) -> None:
        js = await self._jetstream()
        await js.publish(
            self.settings.events.subject(event.type),
            event.to_json(),
            timeout=timeout,
            headers={"Nats-Msg-Id": msg_id},
        )

    async def _jetstream(self) -> JetStreamContext:
        """Connect on first use (the stream made or updated once); later calls reuse it."""
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._js is None:
                nc = await connect_nats(self.settings.nats_url, "expiration-worker")
                try:
                    js = nc.jetstream()
                    await ensure_stream(js, self.settings.events)
                except BaseException:
                    await nc.close()
                    raise
                self._nc, self._js = nc, js
            return self._js

    def close(self) -> None:
        """Flush and close the connection, then stop the loop."""
        if self._nc is not None:
            try:
                self._loop.run(self._nc.drain(), 10)
            except Exception:  # closing anyway: the process is going away
                log.warning("NATS connection did not drain cleanly", exc_info=True)
        self._nc = self._js = None
        self._loop.stop()


_lock = threading.Lock()
_publisher: JetStreamPublisher | None = None


def process_publisher() -> JetStreamPublisher:
    """This process's publisher, made from the environment on first use."""
    global _publisher
    with _lock:
        if _publisher is None:
            _publisher = JetStreamPublisher(ExpirationSettings.from_env())
        return _publisher


def use_publisher(publisher: JetStreamPublisher | None) -> JetStreamPublisher | None:
    """Install `publisher` as this process's (None to forget it); returns the previous one."""
    global _publisher
    with _lock:
        previous, _publisher = _publisher, publisher
    return previous


def close_process_publisher() -> None:
    """Close this process's publisher, if it has one."""
    publisher = use_publisher(None)
    if publisher is not None:
        publisher.close()


def _forget_in_child() -> None:
    """A forked child inherits the object but neither the loop's thread nor the lock's owner."""
    global _lock, _publisher
    _lock, _publisher = threading.Lock(), None


os.register_at_fork(after_in_child=_forget_in_child)
