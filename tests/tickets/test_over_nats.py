"""End to end over JetStream: the real relay and consumer processes of the tickets service."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import nats
import pytest
from flask.testing import FlaskClient

from common.events.catalogue import ORDER_CREATED
from tests.tickets.conftest import order_event
from workers.streams import EventSettings, ensure_stream

pytestmark = pytest.mark.slow


@pytest.fixture
def events_env(tickets_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """A stream and subject prefix of this test's own, deleted afterwards."""
    suffix = uuid.uuid4().hex[:10]
    env = {
        **tickets_env,
        "EVENTS_STREAM": f"TICKETS_TEST_{suffix}",
        "EVENTS_SUBJECT_PREFIX": f"test{suffix}",
        "EVENTS_RETRY_DELAYS": "0.2",
    }
    asyncio.run(_with_js(env, lambda js: ensure_stream(js, EventSettings.from_env(env))))
    yield env
    asyncio.run(_with_js(env, lambda js: js.delete_stream(env["EVENTS_STREAM"])))


async def _with_js(env: dict[str, str], action: Callable[[Any], Any]) -> Any:
    nc = await nats.connect(env["NATS_URL"])
    try:
        return await action(nc.jetstream())
    finally:
        await nc.drain()


@pytest.fixture
def start(events_env: dict[str, str]) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start a worker module as its own process; stopped with SIGTERM at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def run(*args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", *args],
            env={**os.environ, **events_env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(process)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(15)


def wait_until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def published_tickets(env: dict[str, str]) -> list[dict[str, Any]]:
    """Every tickets.* event on the stream, oldest first."""

    async def read(js: Any) -> list[dict[str, Any]]:
        subscription = await js.pull_subscribe(
            f"{env['EVENTS_SUBJECT_PREFIX']}.tickets.>", stream=env["EVENTS_STREAM"]
        )
        try:
            messages = await subscription.fetch(100, timeout=1)
        except (TimeoutError, nats.errors.TimeoutError):
            return []
        finally:
            await subscription.unsubscribe()
        return [json.loads(message.data) for message in messages]

    return asyncio.run(_with_js(env, read))  # type: ignore[no-any-return]


def test_an_order_created_on_the_stream_locks_the_ticket_and_its_update_is_published(
    client: FlaskClient,
    create_ticket: Callable[..., dict[str, Any]],
    events_env: dict[str, str],
    start: Callable[..., subprocess.Popen[bytes]],
) -> None:
    ticket = create_ticket("Concert", "20.00")
    consumer = start("workers.tickets.consumer")
    relay = start("workers.relay", "tickets")
    order_id = uuid.uuid4()
    event = order_event(ORDER_CREATED, ticket["id"], order_id)
    subject = f"{events_env['EVENTS_SUBJECT_PREFIX']}.{ORDER_CREATED}"

    async def publish(js: Any) -> None:
        for _ in range(2):  # as if re-published past the duplicate window: applied once
            await js.publish(subject, event.to_json(), headers={"Nats-Msg-Id": str(uuid.uuid4())})

    asyncio.run(_with_js(events_env, publish))

    def locked() -> bool:
        return client.get(f"/api/tickets/{ticket['id']}").json["status"] == "locked"

    wait_until(locked)
    shown = client.get(f"/api/tickets/{ticket['id']}").json
    assert (shown["orderId"], shown["version"]) == (str(order_id), 2)

    def both_published() -> bool:
        return len(published_tickets(events_env)) >= 2

    wait_until(both_published)
    events = published_tickets(events_env)
    assert [(e["type"], e["data"]["version"]) for e in events] == [
        ("tickets.created", 1),
        ("tickets.updated", 2),
    ]
    assert events[1]["data"]["orderId"] == str(order_id)
    for process in (consumer, relay):
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0, process.stderr.read() if process.stderr else ""
