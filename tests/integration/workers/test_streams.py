"""Stream and durable consumers are made idempotently from settings read from the environment."""

from __future__ import annotations

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerInfo, StorageType, StreamInfo

from common.errors import ConfigurationError
from common.events.streams import (
    EventSettings,
    consumer_config,
    durable_name,
    ensure_consumer,
    ensure_stream,
)
from tests.conftest import NATS_URL
from tests.integration.workers.support import Backbone, run_async


def test_settings_come_from_the_environment_with_defaults() -> None:
    assert EventSettings.from_env({}) == EventSettings()
    settings = EventSettings.from_env(
        {
            "EVENTS_STREAM": "S",
            "EVENTS_SUBJECT_PREFIX": "p",
            "EVENTS_MAX_DELIVER": "7",
            "EVENTS_RETRY_DELAYS": "0.5, 1,4",
        }
    )
    assert (settings.stream, settings.subject("orders.created")) == ("S", "p.orders.created")
    assert settings.max_deliver == 7 and settings.retry_delays == (0.5, 1.0, 4.0)


@pytest.mark.parametrize(
    "environ",
    [
        {"EVENTS_MAX_DELIVER": "0"},
        {"EVENTS_RETRY_DELAYS": "soon"},
        {"EVENTS_RETRY_DELAYS": "-1"},
        {"EVENTS_ACK_WAIT_SECONDS": "x"},
    ],
)
def test_bad_settings_are_refused(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        EventSettings.from_env(environ)


def test_retry_delay_grows_with_deliveries_then_stays_at_the_last_step() -> None:
    settings = EventSettings(retry_delays=(1.0, 5.0))
    assert [settings.retry_delay(n) for n in (1, 2, 3, 9)] == [1.0, 5.0, 5.0, 5.0]


def test_durable_consumer_per_service_and_event_type() -> None:
    settings = EventSettings(max_deliver=5)
    config = consumer_config(settings, "orders", "tickets.created")
    assert durable_name("orders", "tickets.created") == "orders-tickets-created"
    assert config.durable_name == "orders-tickets-created"
    assert config.filter_subject == "ticketing.tickets.created"
    assert config.max_deliver == 6  # one spare delivery to dead-letter after a crash


def test_stream_and_consumers_are_created_idempotently(backbone: Backbone) -> None:
    async def setup_twice() -> tuple[StreamInfo, ConsumerInfo]:
        nc = await nats.connect(NATS_URL)
        try:
            js = nc.jetstream()
            for _ in range(2):
                await ensure_stream(js, backbone.events)
                await ensure_consumer(js, backbone.events, "svc", "tickets.created")
            return (
                await js.stream_info(backbone.events.stream),
                await js.consumer_info(backbone.events.stream, "svc-tickets-created"),
            )
        finally:
            await nc.close()

    stream, consumer = run_async(setup_twice)
    assert stream.config.storage == StorageType.FILE
    assert stream.config.duplicate_window == backbone.events.duplicate_window_seconds
    assert stream.config.subjects == [f"{backbone.events.subject_prefix}.>"]
    assert consumer.config.ack_policy == AckPolicy.EXPLICIT
    assert consumer.config.max_deliver == backbone.events.max_deliver + 1
