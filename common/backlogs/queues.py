"""Dramatiq's queues on Redis: messages ready, in workers' hands, delayed and dead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import redis


@dataclass(frozen=True)
class QueueCounts:
    """One Dramatiq queue (dramatiq.brokers.redis's keys under its namespace)."""

    queue: str
    ready: int
    in_progress: int
    delayed: int
    dead: int


def queue_counts(client: redis.Redis, namespace: str, queues: Sequence[str]) -> list[QueueCounts]:
    """The counts of each queue, read in one round trip."""
    pipe = client.pipeline(transaction=False)
    for queue in queues:
        key = f"{namespace}:{queue}"
        pipe.llen(key)
        pipe.hlen(f"{key}.msgs")
        pipe.hlen(f"{key}.DQ.msgs")
        pipe.zcard(f"{key}.XQ")
    values = [int(value) for value in pipe.execute()]
    counts = []
    for index, queue in enumerate(queues):
        ready, unacked, delayed, dead = values[index * 4 : index * 4 + 4]
        counts.append(QueueCounts(queue, ready, max(unacked - ready, 0), delayed, dead))
    return counts
