"""The consumer loop: durable pull subscriptions feeding the idempotent unit of work."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from sqlalchemy.exc import InterfaceError, OperationalError

from common.backlogs.consumers import consumer_lags
from common.db import Database
from common.events.envelope import Envelope
from common.events.streams import EventSettings, ensure_consumer, ensure_stream
from common.logging import request_id_var
from common.outbox import OutboxTables
from common.outbox.dead_letters import DeadLetter, record_dead_letter
from common.saga_metrics import CONSUMER_ACK_PENDING, CONSUMER_LAG, DEAD_LETTERS
from workers.health_server import heartbeat
from workers.pull import PullSubscription
from workers.runtime import connect_nats
from workers.unit_of_work import Handler, Outcome, handle_batch, handle_message

log = logging.getLogger(__name__)

# The database going away is not the message's fault: retried in hand, without a delivery.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
FETCH_TIMEOUT_SECONDS = 1.0
LAG_INTERVAL_SECONDS = 15.0


@dataclass(frozen=True)
class ConsumerSpec:
    """A service's consumer: its database, backbone tables, handler table and stream settings."""

    service: str
    db: Database
    tables: OutboxTables
    handlers: Mapping[str, Handler]
    events: EventSettings


class EventConsumer:
    """Feeds durable subscriptions' messages to the service's handlers, a batch at a time.

    The units of work run on the event loop itself, one at a time: a hand-off to a thread
    and back would cost more than the wait it spares, as the next fetch needs the result.
    Meanwhile the NATS client buffers what arrives; nothing times out in milliseconds.
    """

    def __init__(self, spec: ConsumerSpec, stop: asyncio.Event) -> None:
        self.spec = spec
        self.stop = stop

    async def pump(self, subscription: PullSubscription) -> None:
        """Fetch and handle messages until `stop` is set; the batch in hand is finished."""
        while not self.stop.is_set():
            heartbeat.beat()
            try:
                messages = await subscription.fetch(
                    self.spec.events.fetch_batch, timeout=FETCH_TIMEOUT_SECONDS
                )
            except TimeoutError:
                continue
            except NatsError as exc:
                log.warning("fetch failed: %s", exc)
                await asyncio.sleep(FETCH_TIMEOUT_SECONDS)
                continue
            # fetch returns as soon as one message is there, with what else is: a lone event
            # is not held back waiting for a batch.
            if len(messages) > 1 and await self.process_batch(messages):
                continue
            for message in messages:
                try:
                    await self.process(message)
                except Exception:  # a worker must outlive any one message; it is redelivered
                    log.exception("message left unacknowledged for redelivery")

    async def process_batch(self, messages: list[Msg]) -> bool:
        """Handle the messages in one transaction and ack them; False if they need one by one.

        A malformed event, one ahead of its predecessor or any error sends the whole batch
        (rolled back, nothing acknowledged) down the one-by-one path, which settles each.
        """
        try:
            envelopes = [Envelope.from_json(message.data) for message in messages]
        except ValueError:
            return False
        spec = self.spec
        try:
            outcomes = handle_batch(spec.db, spec.tables, spec.handlers, envelopes)
        except Exception as exc:
            log.info("batch of %d handled one by one after %s", len(messages), exc)
            return False
        if outcomes is None:
            return False
        for message in messages:
            await message.ack()
        return True

    async def process(self, message: Msg) -> None:
        """Handle one message and settle it: ack, nak with a delay, or dead-letter and term."""
        deliveries = message.metadata.num_delivered or 1
        try:
            envelope = Envelope.from_json(message.data)
        except ValueError as exc:
            await self.dead_letter(message, None, f"malformed event: {exc}", deliveries)
            return
        token = request_id_var.set(envelope.correlation_id)
        try:
            outcome, error = await self._handle(message, envelope)
        finally:
            request_id_var.reset(token)
        if error is None and outcome is not Outcome.RETRY_LATER:
            await message.ack()
            return
        if deliveries >= self.spec.events.max_deliver:
            reason = error or f"still ahead of its predecessor after {deliveries} deliveries"
            await self.dead_letter(message, envelope, reason, deliveries)
            return
        await message.nak(delay=self.spec.events.retry_delay(deliveries))

    async def _handle(self, message: Msg, envelope: Envelope) -> tuple[Outcome | None, str | None]:
        """Run the unit of work; transient database errors are retried in hand."""
        spec = self.spec
        for attempt in range(1, spec.events.max_deliver + 1):
            try:
                outcome = handle_message(spec.db, spec.tables, spec.handlers, envelope)
                return outcome, None
            except TRANSIENT_ERRORS as exc:
                if attempt == spec.events.max_deliver or self.stop.is_set():
                    return None, f"{type(exc).__name__}: {exc}"
                log.warning("database unavailable, retrying %s: %s", envelope.id, exc)
                await message.in_progress()
                await asyncio.sleep(spec.events.retry_delay(attempt))
            except Exception as exc:
                log.exception("handler failed", extra={"eventId": str(envelope.id)})
                return None, f"{type(exc).__name__}: {exc}"
        return None, "unreachable"

    async def dead_letter(
        self, message: Msg, envelope: Envelope | None, error: str, deliveries: int
    ) -> None:
        """Keep the message for an operator to see and replay, then stop its redelivery."""
        letter = DeadLetter(
            event_id=envelope.id if envelope else None,
            event_type=envelope.type if envelope else None,
            subject=message.subject,
            payload=message.data.decode(errors="replace"),
            error=error[:4000],
            attempts=deliveries,
        )
        record_dead_letter(self.spec.db, self.spec.tables, letter)
        DEAD_LETTERS.labels(self.spec.service, letter.event_type or "malformed").inc()
        log.error("event dead-lettered", extra={"subject": message.subject, "error": error})
        await message.term()


async def watch_lag(js: JetStreamContext, stream: str, service: str, stop: asyncio.Event) -> None:
    """Keep the lag gauges of the service's durable consumers current until `stop` is set."""
    while not stop.is_set():
        try:
            for lag in await consumer_lags(js, stream):
                if lag.durable.startswith(f"{service}-"):
                    CONSUMER_LAG.labels(stream, lag.durable).set(lag.pending)
                    CONSUMER_ACK_PENDING.labels(stream, lag.durable).set(lag.ack_pending)
        except (NatsError, TimeoutError) as exc:
            log.info("consumer lag not read: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), LAG_INTERVAL_SECONDS)


async def consume(
    spec: ConsumerSpec, nats_url: str, stop: asyncio.Event, ready: asyncio.Event | None = None
) -> None:
    """Bind one durable per handled event type and pump them all until `stop` is set."""
    nc = await connect_nats(nats_url, f"{spec.service}-consumer")
    try:
        js = nc.jetstream()
        await ensure_stream(js, spec.events)
        subscriptions = []
        for event_type in spec.handlers:
            durable = await ensure_consumer(js, spec.events, spec.service, event_type)
            subscriptions.append(await PullSubscription(nc, spec.events.stream, durable).start())
        if ready is not None:
            ready.set()
        consumer = EventConsumer(spec, stop)
        lag = asyncio.create_task(watch_lag(js, spec.events.stream, spec.service, stop))
        await asyncio.gather(*(consumer.pump(sub) for sub in subscriptions))
        lag.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await lag
        # Unsubscribe before draining, or the drain waits on the pull subscriptions forever.
        for subscription in subscriptions:
            await subscription.unsubscribe()
    finally:
        await nc.drain()
