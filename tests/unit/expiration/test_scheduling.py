"""The expiration service's parts on their own: delays, the event it sends, its settings."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from common.errors import ConfigurationError
from workers.expiration.actors import QUEUE, expiration_event, expire_order
from workers.expiration.scheduler import delay_milliseconds
from workers.expiration.settings import ExpirationSettings

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)


def test_the_expiry_is_delayed_until_the_order_expires() -> None:
    assert delay_milliseconds(NOW + timedelta(seconds=900), NOW) == 900_000
    assert delay_milliseconds(NOW + timedelta(milliseconds=1500), NOW) == 1500


def test_an_order_already_past_its_expiry_is_expired_at_once() -> None:
    assert delay_milliseconds(NOW - timedelta(seconds=5), NOW) == 0


def test_every_expiry_of_one_order_is_the_same_event_with_the_same_message_id() -> None:
    order_id = str(uuid.uuid4())
    first, first_msg_id = expiration_event(order_id, "req-1")
    again, again_msg_id = expiration_event(order_id, "req-1")
    assert first.id == again.id
    assert first_msg_id == again_msg_id == f"expiration-{order_id}"
    assert first.type == "expiration.completed"
    assert json.loads(first.to_json())["data"] == {"orderId": order_id}
    assert first.correlation_id == "req-1"
    other, other_msg_id = expiration_event(str(uuid.uuid4()), None)
    assert other.id != first.id and other_msg_id != first_msg_id


def test_a_malformed_order_id_is_refused_and_never_retried() -> None:
    with pytest.raises(ValueError):
        expiration_event("not-a-uuid", None)
    assert expire_order.options["throws"]


def test_the_actor_retries_with_backoff_on_its_own_queue() -> None:
    assert expire_order.queue_name == QUEUE
    assert expire_order.options["max_retries"] > 0
    assert expire_order.options["min_backoff"] <= expire_order.options["max_backoff"]


def test_the_settings_come_from_the_environment() -> None:
    settings = ExpirationSettings.from_env(
        {
            "NATS_URL": "nats://nats:4222",
            "EVENTS_STREAM": "S",
            "EVENTS_SUBJECT_PREFIX": "p",
            "EXPIRATION_POLL_MILLISECONDS": "250",
        }
    )
    assert settings.nats_url == "nats://nats:4222"
    assert settings.events.subject("expiration.completed") == "p.expiration.completed"
    assert settings.poll_milliseconds == 250
    with pytest.raises(ConfigurationError):
        ExpirationSettings.from_env({"EXPIRATION_POLL_MILLISECONDS": "0"})
