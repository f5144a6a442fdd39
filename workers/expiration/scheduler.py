"""The expiration scheduler: `python -m workers.expiration.scheduler`.

Consumes orders.created (durable `expiration-orders-created`, shared by replicas) and sends
expire_order delayed until the order's expiresAt. It keeps no state: firing is idempotent,
so a redelivered orders.created merely schedules a second, harmless expire_order.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from nats.aio.msg import Msg
from nats.errors import Error as NatsError

from common.clock import Clock, SystemClock
from common.events.catalogue import ORDER_CREATED
from common.events.envelope import Envelope
from common.events.streams import ensure_consumer, ensure_stream
from common.http.health import nats_check, redis_check
from common.logging import configure_logging
from workers.broker import broker_redis_url
from workers.expiration.actors import expire_order
from workers.expiration.settings import SERVICE, ExpirationSettings
from workers.health_server import heartbeat, serve_worker_health
from workers.pull import PullSubscription
from workers.runtime import connect_nats, stop_on_signals

log = logging.getLogger(__name__)

FETCH_TIMEOUT_SECONDS = 1.0


def delay_milliseconds(expires_at: datetime, now: datetime) -> int:
    """How long to hold expire_order: until expiresAt, or not at all once it has passed."""
    return max(0, int((expires_at - now).total_seconds() * 1000))


@dataclass(frozen=True)
class Expiry:
    """One order's expiry to schedule, from its orders.created."""

    message: Msg
    order_id: str
    correlation_id: str | None
    expires_at: datetime


class Scheduler:
    """Turns each orders.created into a delayed expire_order, then acknowledges it."""

    def __init__(self, settings: ExpirationSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock

    async def process(self, messages: list[Msg]) -> None:
        """Schedule a fetched batch's expiries in one trip to a thread, then ack them all.

        A malformed event is logged and dropped for good. If Redis fails, every message of
        the batch is redelivered later: an expiry sent twice is harmless (firing is
        idempotent), and the sweep covers the gap meanwhile.
        """
        expiries = [expiry for message in messages if (expiry := await _parse(message))]
        if not expiries:
            return
        now = self.clock.now()
        try:
            await asyncio.to_thread(_send_all, expiries, now)
        except Exception:
            log.exception("could not schedule %d expiries", len(expiries))
            for expiry in expiries:
                deliveries = expiry.message.metadata.num_delivered or 1
                await expiry.message.nak(delay=self.settings.events.retry_delay(deliveries))
            return
        for expiry in expiries:
            await expiry.message.ack()

    async def pump(self, subscription: PullSubscription, stop: asyncio.Event) -> None:
        """Fetch batches and schedule them until `stop` is set; the batch in hand is finished."""
        while not stop.is_set():
            heartbeat.beat()
            try:
                messages = await subscription.fetch(
                    self.settings.fetch_batch, timeout=FETCH_TIMEOUT_SECONDS
                )
            except TimeoutError:
                continue
            except NatsError as exc:
                log.warning("fetch failed: %s", exc)
                await asyncio.sleep(FETCH_TIMEOUT_SECONDS)
                continue
            await self.process(messages)


async def _parse(message: Msg) -> Expiry | None:
    """The expiry an orders.created asks for; None (and the message dropped) if unusable."""
    try:
        event = Envelope.from_json(message.data)
        order_id = str(event.data["id"])
        expires_at = datetime.fromisoformat(str(event.data["expiresAt"]))
    except (ValueError, KeyError) as exc:
        log.error("unusable orders.created dropped: %s", exc, extra={"subject": message.subject})
        await message.term()
        return None
    return Expiry(message, order_id, event.correlation_id, expires_at)


def _send_all(expiries: list[Expiry], now: datetime) -> None:
    for expiry in expiries:
        expire_order.send_with_options(
            args=(expiry.order_id, expiry.correlation_id),
            delay=delay_milliseconds(expiry.expires_at, now),
        )


async def run_scheduler(
    settings: ExpirationSettings,
    stop: asyncio.Event,
    ready: asyncio.Event | None = None,
    clock: Clock | None = None,
) -> None:
    """Bind the durable consumer of orders.created and schedule expiries until `stop` is set."""
    nc = await connect_nats(settings.nats_url, "expiration-scheduler")
    try:
        js = nc.jetstream()
        await ensure_stream(js, settings.events)
        durable = await ensure_consumer(js, settings.events, SERVICE, ORDER_CREATED)
        subscription = await PullSubscription(nc, settings.events.stream, durable).start()
        if ready is not None:
            ready.set()
        log.info("scheduling expiries", extra={"durable": durable})
        await Scheduler(settings, clock or SystemClock()).pump(subscription, stop)
        # Unsubscribe before draining, or the drain waits on the pull subscription forever.
        await subscription.unsubscribe()
    finally:
        await nc.drain()


def main() -> int:
    """Schedule expiries until SIGTERM/SIGINT."""
    settings = ExpirationSettings.from_env()
    configure_logging("expiration-scheduler", settings.log_level)

    async def run() -> None:
        stop = asyncio.Event()
        stop_on_signals(stop)
        await run_scheduler(settings, stop)

    health = serve_worker_health(
        "expiration-scheduler",
        {"nats": nats_check(settings.nats_url), "redis": redis_check(broker_redis_url())},
    )
    log.info("expiration scheduler starting")
    try:
        asyncio.run(run())
    finally:
        if health is not None:
            health.close()
    log.info("expiration scheduler stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
