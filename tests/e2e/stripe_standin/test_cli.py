"""`python -m devtools.stripe_standin` as `make up` runs it: flags, environment, clean stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import stripe

from devstack.settings import PROJECT_ROOT
from devtools.stripe_standin.settings import StandinSettings
from tests.integration.stripe_standin.conftest import (
    API_KEY,
    WEBHOOK_SECRET,
    Receiver,
    card_payment,
)

REPO = PROJECT_ROOT


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(port: int, timeout: float = 10.0) -> None:
    """Poll the health control until the process answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            url = f"http://127.0.0.1:{port}/_standin/health"
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    raise AssertionError("the stand-in did not come up")


@pytest.fixture
def run_standin() -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(5)


def start(
    processes: list[subprocess.Popen[str]], args: list[str], env: dict[str, str]
) -> subprocess.Popen[str]:
    """Start the module as a child process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.stripe_standin", *args],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    processes.append(process)
    return process


def test_the_module_serves_from_env_settings_and_stops_on_sigterm(
    run_standin: list[subprocess.Popen[str]], receiver: Receiver
) -> None:
    port = free_port()
    process = start(
        run_standin,
        [],
        {
            "STRIPE_STANDIN_PORT": str(port),
            "STRIPE_WEBHOOK_URL": receiver.url,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        },
    )
    wait_healthy(port)
    client = stripe.StripeClient(API_KEY, base_addresses={"api": f"http://127.0.0.1:{port}"})

    intent = client.v1.payment_intents.create(params=card_payment())
    delivery = receiver.wait_for(1)[0]
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=10)

    assert intent.status == "succeeded"
    stripe.Webhook.construct_event(delivery.body, delivery.signature, WEBHOOK_SECRET)
    assert process.returncode == 0
    lines = [json.loads(line) for line in stderr.splitlines()]
    assert lines[0]["event"] == "listening"
    requests = [line for line in lines if line["event"] == "request"]
    assert any(r["path"] == "/v1/payment_intents" and r["status"] == 200 for r in requests)
    assert lines[-1]["event"] == "stopped"


def test_flags_win_over_the_environment() -> None:
    settings = StandinSettings.from_args(
        ["--port", "5555", "--webhook-duplicates", "1", "--webhook-delay-ms", "250"],
        {"STRIPE_STANDIN_PORT": "4444", "STRIPE_WEBHOOK_DUPLICATES": "3"},
    )

    assert settings.port == 5555
    assert settings.webhook.duplicates == 1
    assert settings.webhook.delay_ms == 250


def test_a_webhook_url_without_a_secret_is_a_usage_error(
    run_standin: list[subprocess.Popen[str]],
) -> None:
    process = start(
        run_standin, ["--port", str(free_port()), "--webhook-url", "http://127.0.0.1:1/x"], {}
    )

    _, stderr = process.communicate(timeout=10)

    assert process.returncode == 2
    assert "webhook secret" in stderr
