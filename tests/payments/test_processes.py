"""End to end through the real processes: consumer over JetStream, Dramatiq actors, relay."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import nats
import pytest
from flask.testing import FlaskClient

from api.payments.models import Order
from common.db import Database
from common.events.catalogue import ORDER_CANCELLED, ORDER_CREATED
from common.events.envelope import Envelope
from deploy.stripe_standin.server import StandinServer
from tests.payments.conftest import (
    Auth,
    eventually,
    only_payment,
    order_event,
    pay,
    refunds,
)
from workers.broker import DEFAULT_REDIS_URL, broker
from workers.streams import EventSettings, ensure_stream

pytestmark = pytest.mark.slow


async def _with_js(env: dict[str, str], action: Callable[[Any], Any]) -> Any:
    connection = await nats.connect(env["NATS_URL"])
    try:
        return await action(connection.jetstream())
    finally:
        await connection.drain()


@pytest.fixture
def process_env(payments_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """A stream of this test's own, and the Redis namespace the test's broker uses."""
    suffix = uuid.uuid4().hex[:10]
    env = {
        **payments_env,
        "EVENTS_STREAM": f"PAYMENTS_TEST_{suffix}",
        "EVENTS_SUBJECT_PREFIX": f"test{suffix}",
        "EVENTS_RETRY_DELAYS": "0.2",
        "OUTBOX_POLL_MILLISECONDS": "200",
        "DRAMATIQ_NAMESPACE": broker.namespace,
        "DRAMATIQ_REDIS_URL": os.environ.get("DRAMATIQ_REDIS_URL")
        or os.environ.get("REDIS_URL", DEFAULT_REDIS_URL),
    }
    asyncio.run(_with_js(env, lambda js: ensure_stream(js, EventSettings.from_env(env))))
    yield env
    asyncio.run(_with_js(env, lambda js: js.delete_stream(env["EVENTS_STREAM"])))


@pytest.fixture
def start(process_env: dict[str, str]) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start `python -m ARGS` with the payments environment; SIGTERM at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def run(*args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", *args],
            env={**os.environ, **process_env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(process)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(30)


def publish(env: dict[str, str], event: Envelope) -> None:
    subject = f"{env['EVENTS_SUBJECT_PREFIX']}.{event.type}"

    async def send(js: Any) -> None:
        await js.publish(subject, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})

    asyncio.run(_with_js(env, send))


def published_payments(env: dict[str, str]) -> list[dict[str, Any]]:
    """Every payments.* event on the stream, oldest first."""

    async def read(js: Any) -> list[dict[str, Any]]:
        subscription = await js.pull_subscribe(
            f"{env['EVENTS_SUBJECT_PREFIX']}.payments.>", stream=env["EVENTS_STREAM"]
        )
        try:
            messages = await subscription.fetch(100, timeout=1)
        except (TimeoutError, nats.errors.TimeoutError):
            return []
        finally:
            await subscription.unsubscribe()
        return [json.loads(message.data) for message in messages]

    return asyncio.run(_with_js(env, read))  # type: ignore[no-any-return]


def has_order(db: Database, order_id: uuid.UUID) -> bool:
    with db.transaction() as session:
        return session.get(Order, order_id) is not None


def test_an_order_cancelled_on_the_stream_after_payment_is_refunded_by_the_actor_process(
    client: FlaskClient,
    auth: Auth,
    db: Database,
    standin: StandinServer,
    process_env: dict[str, str],
    start: Callable[..., subprocess.Popen[bytes]],
) -> None:
    consumer = start("workers.payments.consumer")
    actors = start("dramatiq", "workers.payments.actors", "--processes", "1", "--threads", "2")
    relay = start("workers.relay", "payments")
    buyer, order_id = uuid.uuid4(), uuid.uuid4()

    publish(process_env, order_event(ORDER_CREATED, order_id, buyer))
    eventually(lambda: has_order(db, order_id), timeout=60)
    paid = pay(client, auth(buyer), order_id)
    publish(
        process_env,
        order_event(
            ORDER_CANCELLED, order_id, buyer, version=2, status="cancelled", reason="expired"
        ),
    )

    assert paid.status_code == 201
    eventually(lambda: only_payment(db).status == "refunded", timeout=60)
    assert len(refunds(standin)) == 1
    eventually(lambda: len(published_payments(process_env)) == 3, timeout=60)
    assert [e["type"] for e in published_payments(process_env)] == [
        "payments.started",
        "payments.created",
        "payments.refunded",
    ]
    for process in (consumer, actors, relay):
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, process.stderr.read() if process.stderr else ""
