"""Worker modules run as real processes against a JetStream stream of the test's own."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import nats

from common.events.envelope import Envelope
from common.events.streams import EventSettings, ensure_stream

Start = Callable[..., subprocess.Popen[bytes]]


async def with_jetstream(env: dict[str, str], action: Callable[[Any], Any]) -> Any:
    """Run `action(js)` on a fresh connection to the environment's NATS."""
    connection = await nats.connect(env["NATS_URL"])
    try:
        return await action(connection.jetstream())
    finally:
        await connection.drain()


@contextmanager
def private_stream(env: dict[str, str], name: str, **settings: str) -> Iterator[dict[str, str]]:
    """`env` with a stream and subject prefix nobody else uses (plus `settings`); deleted after."""
    suffix = uuid.uuid4().hex[:10]
    stream_env = {
        **env,
        "EVENTS_STREAM": f"{name}_TEST_{suffix}",
        "EVENTS_SUBJECT_PREFIX": f"test{suffix}",
        **settings,
    }
    events = EventSettings.from_env(stream_env)
    asyncio.run(with_jetstream(stream_env, lambda js: ensure_stream(js, events)))
    yield stream_env
    asyncio.run(with_jetstream(stream_env, lambda js: js.delete_stream(events.stream)))


@contextmanager
def worker_processes(
    env: dict[str, str], *, stop_seconds: float, must_exit_cleanly: bool = False
) -> Iterator[Start]:
    """Start `python -m ARGS` with `env`; each is stopped with SIGTERM at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", *args],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            code = process.wait(stop_seconds)
            if must_exit_cleanly:
                assert code == 0


def publish(env: dict[str, str], *events: Envelope, msg_ids: list[str] | None = None) -> None:
    """Publish straight to the stream, with each event's id (or `msg_ids`) as Nats-Msg-Id."""

    async def send(js: Any) -> None:
        for index, event in enumerate(events):
            msg_id = msg_ids[index] if msg_ids else str(event.id)
            await js.publish(
                f"{env['EVENTS_SUBJECT_PREFIX']}.{event.type}",
                event.to_json(),
                headers={"Nats-Msg-Id": msg_id},
            )

    asyncio.run(with_jetstream(env, send))


def published(env: dict[str, str], pattern: str) -> list[dict[str, Any]]:
    """Every event on the stream whose subject matches `pattern`, oldest first."""

    async def read(js: Any) -> list[dict[str, Any]]:
        subscription = await js.pull_subscribe(
            f"{env['EVENTS_SUBJECT_PREFIX']}.{pattern}", stream=env["EVENTS_STREAM"]
        )
        try:
            messages = await subscription.fetch(100, timeout=1)
        except (TimeoutError, nats.errors.TimeoutError):
            return []
        finally:
            await subscription.unsubscribe()
        return [json.loads(message.data) for message in messages]

    return asyncio.run(with_jetstream(env, read))  # type: ignore[no-any-return]  # JSON and Flask extensions are Any
