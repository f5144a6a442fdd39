"""The health server of a Dramatiq worker process, and its heartbeat: its threads are alive."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import dramatiq
from dramatiq.middleware import Middleware

from workers.health_collectors import queue_collector
from workers.health_server import Check, WorkerHealthServer, heartbeat, serve_worker_health

BEAT_SECONDS = 5.0


def threads_alive(worker: dramatiq.Worker) -> bool:
    """Whether every consumer and worker thread of the Dramatiq worker still runs."""
    threads = [*worker.consumers.values(), *worker.workers]
    return bool(threads) and all(thread.is_alive() for thread in threads)


class WorkerHealth(Middleware):
    """Starts the health server when the worker boots; beats while all its threads live.

    Dramatiq's own loops run in its threads: a thread that died (or a worker that never got
    its threads going) stops the beat, and /healthz turns 503 after the heartbeat timeout.
    """

    def __init__(
        self,
        name: str,
        checks: Mapping[str, Check],
        redis_url: str,
        namespace: str,
        queues: Sequence[str],
    ) -> None:
        self.name, self.checks = name, checks
        self.redis_url, self.namespace, self.queues = redis_url, namespace, queues
        self.server: WorkerHealthServer | None = None
        self.stop = threading.Event()

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        collector = queue_collector(self.redis_url, self.namespace, self.queues)
        self.server = serve_worker_health(self.name, self.checks, [collector])
        if self.server is not None:
            threading.Thread(
                target=self._beat, args=(worker,), name="health-beat", daemon=True
            ).start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self.stop.set()
        if self.server is not None:
            self.server.close()
            self.server = None

    def _beat(self, worker: dramatiq.Worker) -> None:
        while not self.stop.wait(BEAT_SECONDS):
            if threads_alive(worker):
                heartbeat.beat()
