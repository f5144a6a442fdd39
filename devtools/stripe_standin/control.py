"""Test-only controls under `/_standin/`: list objects, inject faults, steer webhooks, reset."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from devtools.stripe_standin.errors import JsonObject
from devtools.stripe_standin.faults import Fault, FaultSpecError
from devtools.stripe_standin.state import KINDS

if TYPE_CHECKING:
    from devtools.stripe_standin.server import StandinServer

MAX_WAIT_MS = 60_000


def handle_control(
    server: StandinServer, method: str, path: str, body: bytes
) -> tuple[int, JsonObject]:
    """Serve one control request; answers are plain JSON (never Stripe-shaped)."""
    route = path.removeprefix("/_standin").strip("/")
    try:
        spec = _json_object(body)
        return _dispatch(server, method, route, spec)
    except (FaultSpecError, ValueError) as exc:
        return 400, _problem(str(exc))


def _dispatch(
    server: StandinServer, method: str, route: str, spec: dict[str, Any]
) -> tuple[int, JsonObject]:
    """Match the control route."""
    if method == "GET" and route == "health":
        return 200, {"ok": True, "url": server.url}
    if method == "GET" and route in KINDS:
        data = server.ledger.snapshot(route)
        return 200, {"object": "list", "data": data, "has_more": False, "count": len(data)}
    if route == "faults":
        if method == "POST":
            count, fault = Fault.parse(spec)
            server.faults.arm(count, fault)
        elif method == "DELETE":
            server.faults.clear()
        return 200, server.faults.describe()
    if route == "webhooks":
        if method == "POST":
            server.webhooks.configure(server.webhooks.settings.updated(spec))
        return 200, _webhooks(server)
    if method == "POST" and route == "webhooks/wait":
        timeout_ms = spec.get("timeoutMs", 10_000)
        if not isinstance(timeout_ms, int) or not 0 <= timeout_ms <= MAX_WAIT_MS:
            raise ValueError(f"timeoutMs must be an integer from 0 to {MAX_WAIT_MS}")
        idle = server.webhooks.wait_idle(timeout_ms / 1000)
        return 200, {"idle": idle, **_webhooks(server)}
    if method == "POST" and route == "reset":
        server.reset()
        return 200, {"ok": True}
    return 404, _problem(f"no stand-in control {method} /_standin/{route}")


def _webhooks(server: StandinServer) -> JsonObject:
    """Webhook settings, pending deliveries and every attempt so far."""
    return {
        "settings": server.webhooks.settings.describe(),
        "pending": server.webhooks.pending(),
        "attempts": server.webhooks.attempts(),
    }


def _json_object(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object (empty when there is no body)."""
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"body is not JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ValueError("body must be a JSON object")
    return parsed


def _problem(message: str) -> JsonObject:
    """A control error."""
    return {"error": {"type": "standin_control_error", "message": message}}
