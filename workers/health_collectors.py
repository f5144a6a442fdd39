"""Gauges read when Prometheus scrapes a worker: outbox backlog, dead letters, queues."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence

import redis
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from common.backlogs.outbox import open_dead_letters, outbox_backlog
from common.backlogs.queues import queue_counts
from common.db import Database
from common.outbox import OutboxTables

log = logging.getLogger(__name__)

Sample = tuple[Sequence[str], float]


class ReadingCollector(Collector):
    """A gauge whose samples a function reads at scrape time (a failed read yields none)."""

    def __init__(
        self, name: str, documentation: str, labels: Sequence[str], read: Callable[[], list[Sample]]
    ) -> None:
        self.name, self.documentation, self.labels, self.read = name, documentation, labels, read

    def describe(self) -> list[Metric]:
        return [GaugeMetricFamily(self.name, self.documentation, labels=list(self.labels))]

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(self.name, self.documentation, labels=list(self.labels))
        try:
            samples = self.read()
        except Exception as exc:  # a scrape must answer even when the database does not
            log.warning("could not read %s: %s", self.name, exc)
            samples = []
        for values, value in samples:
            family.add_metric(list(values), value)
        yield family


def backlog_collectors(service: str, db: Database, tables: OutboxTables) -> list[Collector]:
    """The service's unpublished events and the oldest one's age (the relay serves these)."""

    def read(index: int) -> list[Sample]:
        with db.transaction() as session:
            found = outbox_backlog(session, tables)
        return [((service,), float((found.unpublished, found.oldest_age_seconds)[index]))]

    return [
        ReadingCollector(
            "ticketing_outbox_unpublished_events",
            "Events written to the outbox and not yet published",
            ["service"],
            lambda: read(0),
        ),
        ReadingCollector(
            "ticketing_outbox_oldest_unpublished_age_seconds",
            "Age of the oldest unpublished outbox event (0 when none waits)",
            ["service"],
            lambda: read(1),
        ),
    ]


def dead_letter_collector(service: str, db: Database, tables: OutboxTables) -> Collector:
    """The service's open dead letters (its consumer serves this)."""

    def read() -> list[Sample]:
        with db.transaction() as session:
            return [((service,), float(open_dead_letters(session, tables)))]

    return ReadingCollector(
        "ticketing_dead_letters_open",
        "Dead letters not yet replayed or discarded",
        ["service"],
        read,
    )


def queue_collector(redis_url: str, namespace: str, queues: Sequence[str]) -> Collector:
    """Dramatiq's messages per queue and state (ready, in_progress, delayed, dead)."""
    client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)

    def read() -> list[Sample]:
        samples: list[Sample] = []
        for counts in queue_counts(client, namespace, queues):
            for state in ("ready", "in_progress", "delayed", "dead"):
                samples.append(((counts.queue, state), float(getattr(counts, state))))
        return samples

    return ReadingCollector(
        "ticketing_dramatiq_queue_messages",
        "Dramatiq messages by queue and state",
        ["queue", "state"],
        read,
    )


def stuck_runs_collector(read: Callable[[], dict[str, int]]) -> Collector:
    """Saga runs past their step's deadline, by reason (the console's /ops/stuck lists them)."""
    return ReadingCollector(
        "ticketing_saga_stuck_runs",
        "Purchase saga runs past their step's deadline, by reason",
        ["reason"],
        lambda: [((reason,), float(count)) for reason, count in read().items()],
    )
