"""The entry points run as processes and stop cleanly on SIGTERM."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from typing import IO

import pytest

from common.events.streams import EventSettings
from tests.conftest import NATS_URL

pytestmark = pytest.mark.slow


def _lines(stream: IO[bytes], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line.decode(errors="replace"))


def run_then_terminate(args: list[str], env: dict[str, str], ready: str, *, stderr: bool) -> None:
    """Start `python -m ARGS`, wait for the line saying it is ready, SIGTERM it, expect exit 0."""
    process = subprocess.Popen(
        [sys.executable, "-m", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if not stderr else subprocess.PIPE,
    )
    output = process.stderr if stderr else process.stdout
    assert output is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(output, lines), daemon=True).start()
    seen: list[str] = []
    while not any(ready in line for line in seen):
        try:
            seen.append(lines.get(timeout=60))
        except queue.Empty:
            process.kill()
            raise AssertionError(f"{args[0]} never said {ready!r}: {''.join(seen)}") from None
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0, "".join(seen)


def test_the_scheduler_process_binds_its_durable_and_stops_on_sigterm(
    events: EventSettings, redis_url: str
) -> None:
    env = {
        "NATS_URL": NATS_URL,
        "REDIS_URL": redis_url,
        "EVENTS_STREAM": events.stream,
        "EVENTS_SUBJECT_PREFIX": events.subject_prefix,
        "LOG_LEVEL": "INFO",
    }
    run_then_terminate(
        ["workers.expiration.scheduler"], env, "expiration-orders-created", stderr=False
    )


def test_the_dramatiq_worker_loads_the_expiration_actors_and_stops_on_sigterm(
    redis_url: str,
) -> None:
    env = {"REDIS_URL": redis_url, "DRAMATIQ_NAMESPACE": "test-processes"}
    run_then_terminate(
        ["dramatiq", "workers.expiration.actors", "-p", "1", "-t", "1"],
        env,
        "ready for action",
        stderr=True,
    )


def test_the_sweep_process_stops_on_sigterm(orders_env: dict[str, str]) -> None:
    env = {**orders_env, "EXPIRATION_SWEEP_SECONDS": "30", "LOG_LEVEL": "INFO"}
    run_then_terminate(["workers.orders.sweep"], env, "sweep starting", stderr=False)
