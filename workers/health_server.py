"""A worker's small HTTP server: /metrics, /healthz (its loop's heartbeat) and /readyz.

Every worker process beats the heartbeat each time its loop goes round (a fetch, a sweep, a
relay pass). /healthz answers 503 once the loop has been silent longer than
WORKER_HEARTBEAT_TIMEOUT_SECONDS, so Kubernetes restarts a worker whose loop hangs even
though the process lives. /readyz checks the worker's dependencies. The server listens on
WORKER_HEALTH_PORT (the chart and docker-compose set 9100); unset, no server is started (the
local stack runs a dozen workers on one host).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.registry import Collector

from common.config import Env
from common.errors import ConfigurationError
from common.saga_metrics import REGISTRY as SAGA_REGISTRY

log = logging.getLogger(__name__)

Check = Callable[[], None]
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - kubelet probes and Prometheus reach the pod's IP


class Heartbeat:
    """When the worker's loop last went round."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last = clock()

    def beat(self) -> None:
        self._last = self._clock()

    def silence(self) -> float:
        """Seconds since the last beat."""
        return self._clock() - self._last


# One per process: the loops beat it, the server reads it.
heartbeat = Heartbeat()


@dataclass(frozen=True)
class HealthSettings:
    """Where the server listens (None: no server) and how long the loop may stay silent."""

    port: int | None = None
    # Probes and the metrics scraper come from outside the pod.
    host: str = ALL_INTERFACES
    max_silence_seconds: float = 60.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> HealthSettings:
        env = Env(environ)
        raw = env.str("WORKER_HEALTH_PORT", "").strip()
        port = None
        if raw:
            if not raw.isdigit() or not 0 <= int(raw) <= 65535:
                raise ConfigurationError(f"WORKER_HEALTH_PORT must be a port number, got {raw!r}")
            port = int(raw)
        silence = float(env.int("WORKER_HEARTBEAT_TIMEOUT_SECONDS", 60))
        if silence <= 0:
            raise ConfigurationError("WORKER_HEARTBEAT_TIMEOUT_SECONDS must be positive")
        host = env.str("WORKER_HEALTH_HOST", ALL_INTERFACES)
        return cls(port=port, host=host, max_silence_seconds=silence)


class WorkerHealthServer:
    """Serves the three endpoints from a daemon thread."""

    def __init__(
        self,
        name: str,
        settings: HealthSettings,
        checks: Mapping[str, Check],
        collectors: Iterable[Collector] = (),
        beat: Heartbeat = heartbeat,
    ) -> None:
        self.name, self.settings, self.checks, self.heartbeat = name, settings, checks, beat
        self.registry = CollectorRegistry()
        for collector in collectors:
            self.registry.register(collector)
        self._server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.server_address[1])

    def start(self) -> WorkerHealthServer:
        """Listen on the configured port (0: any free one) and serve in the background."""
        server = ThreadingHTTPServer((self.settings.host, self.settings.port or 0), self._handler())
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, name="health-server", daemon=True).start()
        log.info("health server listening", extra={"port": self.port, "worker": self.name})
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def healthz(self) -> tuple[int, dict[str, object]]:
        silence = round(self.heartbeat.silence(), 3)
        alive = silence <= self.settings.max_silence_seconds
        body: dict[str, object] = {
            "status": "ok" if alive else "stalled",
            "worker": self.name,
            "silence": silence,
        }
        return (200 if alive else 503), body

    def readyz(self) -> tuple[int, dict[str, object]]:
        results: dict[str, str] = {}
        for name, check in self.checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:  # a readiness probe reports any failure, it never raises
                results[name] = f"failed: {type(exc).__name__}"
        ready = all(result == "ok" for result in results.values())
        return (200 if ready else 503), {
            "status": "ok" if ready else "unavailable",
            "checks": results,
        }

    def metrics(self) -> bytes:
        return b"".join(generate_latest(r) for r in (REGISTRY, SAGA_REGISTRY, self.registry))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, CONTENT_TYPE_LATEST, owner.metrics())
                elif path in {"/healthz", "/readyz"}:
                    status, body = owner.healthz() if path == "/healthz" else owner.readyz()
                    self._send(status, "application/json", json.dumps(body).encode())
                else:
                    problem = {
                        "type": "about:blank",
                        "title": "Not Found",
                        "status": 404,
                        "detail": "Only /metrics, /healthz and /readyz are served here.",
                        "errors": [{"message": "Only /metrics, /healthz and /readyz."}],
                    }
                    self._send(404, "application/problem+json", json.dumps(problem).encode())

            def _send(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # probes every few seconds would drown the worker's own log

        return Handler


def serve_worker_health(
    name: str,
    checks: Mapping[str, Check],
    collectors: Iterable[Collector] = (),
    environ: Mapping[str, str] | None = None,
) -> WorkerHealthServer | None:
    """Start the worker's health server when WORKER_HEALTH_PORT is set; None otherwise."""
    settings = HealthSettings.from_env(environ)
    if settings.port is None:
        return None
    heartbeat.beat()
    return WorkerHealthServer(name, settings, checks, collectors).start()
